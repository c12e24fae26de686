// How each service words a refusal, for the AccessDenied faults the test bed injects (POST /faults with a refusal code
// and no message). The shape is IAM's: "User: <principal> is not authorized to perform: <action> on resource:
// <resource> because no identity-based policy allows the <action> action" ("Troubleshooting access denied error
// messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), and per service:
// - EC2: UnauthorizedOperation, 403, "You are not authorized to perform this operation. User: ... Encoded authorization
//   failure message: ..." (as quoted in aws/karpenter-provider-aws#7370; the encoded message: STS
//   DecodeAuthorizationMessage, https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
//   Describe* actions have no resource types, so their refusal names none and carries no encoded message.
// - S3: AccessDenied, 403, the resource ARN in quotes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html,
//   "Access denied message examples"; quoted in aws-ia/terraform-aws-bedrock#41).
// - EFS: AccessDeniedException, 403, "... on the specified resource" (quoted in rebuy-de/aws-nuke#264).
// - SSM: AccessDeniedException, 400 (sources where it is answered, below), "... on resource:
//   arn:aws:ec2:...:instance/i-..." (quoted in peterkimzz/aws-ssm-send-command#13).
// - IAM: AccessDenied, 403.
// A fault can name another action than the operation's own (RunInstances refused for iam:PassRole), and a resource.
import type { AwsRequest } from './aws-protocol.ts';

export interface RefusalRule {
  /** The IAM action refused; the operation's own by default. */
  action?: string;
  resource?: string;
  /** EC2 only: add an encoded authorization failure message (default: for every action but Describe*). */
  encoded?: boolean;
}

export const REFUSAL_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

// The IAM action of S3 operations whose action is named otherwise ("Required permissions for Amazon S3 API
// operations", https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
const S3_ACTIONS: Record<string, string> = {
  ListObjectsV2: 'ListBucket',
  HeadBucket: 'ListBucket',
  HeadObject: 'GetObject',
  DeleteObjects: 'DeleteObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  ListMultipartUploads: 'ListBucketMultipartUploads',
};

const ACCOUNT = '123456789012';

/** A made-up encoded message of the length EC2's have (a kilobyte or two of URL-safe base64). */
function encodedMessage(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let text = '';
  for (let i = 0; i < 1200; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)];
  return text;
}

export function refusalReply(
  request: AwsRequest,
  rule: RefusalRule,
  principal: string,
  region: string,
  url: URL,
): { code: string; message: string; status: number } {
  const { service, operation, params } = request;
  const iamService = service === 'elasticfilesystem' ? 'elasticfilesystem' : service;
  const own =
    service === 's3' ? (S3_ACTIONS[operation] ?? operation) : operation === 'Invoke' ? 'InvokeFunction' : operation;
  const action = rule.action ?? `${iamService}:${own}`;
  const because = `because no identity-based policy allows the ${action} action`;
  const user = `User: ${principal} is not authorized to perform: ${action}`;
  if (service === 'ec2') {
    const describe = /:Describe/.test(action);
    const resource = rule.resource ?? (describe ? undefined : `arn:aws:ec2:${region}:${ACCOUNT}:instance/*`);
    const on = resource ? ` on resource: ${resource}` : '';
    const encoded = (rule.encoded ?? !describe) ? ` Encoded authorization failure message: ${encodedMessage()}` : '';
    return {
      code: 'UnauthorizedOperation',
      status: 403,
      message: `You are not authorized to perform this operation. ${user}${on} ${because}.${encoded}`,
    };
  }
  if (service === 's3') {
    const [bucket = '', ...key] = url.pathname.slice(1).split('/');
    const resource =
      rule.resource ?? `arn:aws:s3:::${bucket}${key.length ? `/${decodeURIComponent(key.join('/'))}` : ''}`;
    return { code: 'AccessDenied', status: 403, message: `${user} on resource: "${resource}" ${because}` };
  }
  if (service === 'elasticfilesystem') {
    const on = rule.resource ? `on resource: ${rule.resource} ${because}` : 'on the specified resource';
    return { code: 'AccessDeniedException', status: 403, message: `${user} ${on}` };
  }
  if (service === 'ssm') {
    const instance = params.InstanceIds ? /i-[0-9a-f]+/.exec(params.InstanceIds)?.[0] : undefined;
    const resource =
      rule.resource ??
      (instance
        ? `arn:aws:ec2:${region}:${ACCOUNT}:instance/${instance}`
        : params.Name
          ? `arn:aws:ssm:${region}::parameter${params.Name}`
          : `arn:aws:ssm:${region}:${ACCOUNT}:*`);
    // HTTP 400. botocore's ssm service-2.json has the AccessDeniedException shape without an "error" trait, so no
    // httpStatusCode of its own: a client error of the awsJson1_1 protocol, 400. The SSM API Reference says 400 where
    // it lists the error under an action ("AccessDeniedException ... HTTP Status Code: 400", e.g. GetAccessToken,
    // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetAccessToken.html) and in its Common Errors
    // (https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html). The 403 of the newer
    // service-wide Common Errors pages (EC2's, the console's) is not SSM's.
    return { code: 'AccessDeniedException', status: 400, message: `${user} on resource: ${resource} ${because}` };
  }
  if (service === 'lambda') {
    // Lambda: AccessDeniedException, 403, "User: … is not authorized to perform: lambda:InvokeFunction on resource:
    // arn:aws:lambda:…:function:… because no identity-based policy allows the lambda:InvokeFunction action" (Invoke,
    // Errors, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html; the wording as in IAM's guide above).
    const resource = rule.resource ?? `arn:aws:lambda:${region}:${ACCOUNT}:function:*`;
    return { code: 'AccessDeniedException', status: 403, message: `${user} on resource: ${resource} ${because}` };
  }
  const resource = rule.resource ?? `arn:aws:${service}::${ACCOUNT}:*`;
  return { code: 'AccessDenied', status: 403, message: `${user} on resource: ${resource} ${because}` };
}
