import { describe, expect, it } from 'vitest';
import { explainAwsError, iamAction, isNotFound, type TaggedError } from '../../src/aws/errors.js';

function awsError(name: string, message: string, action?: string): TaggedError {
  const error: TaggedError = Object.assign(new Error(message), { name });
  if (action) error.$efsyncAction = action;
  return error;
}

describe('iamAction', () => {
  it.each([
    ['ec2', 'RunInstances', 'ec2:RunInstances'],
    ['ssm', 'SendCommand', 'ssm:SendCommand'],
    ['elasticfilesystem', 'DescribeMountTargets', 'elasticfilesystem:DescribeMountTargets'],
    ['s3', 'PutObject', 's3:PutObject'],
    ['s3', 'ListObjectsV2', 's3:ListBucket'],
    ['s3', 'HeadBucket', 's3:ListBucket'],
    ['s3', 'HeadObject', 's3:GetObject'],
    ['s3', 'DeleteObjects', 's3:DeleteObject'],
    ['s3', 'CreateMultipartUpload', 's3:PutObject'],
    ['s3', 'UploadPart', 's3:PutObject'],
    ['s3', 'CompleteMultipartUpload', 's3:PutObject'],
    ['s3', 'ListMultipartUploads', 's3:ListBucketMultipartUploads'],
    ['lambda', 'Invoke', 'lambda:InvokeFunction'],
    ['lambda', 'GetFunctionConfiguration', 'lambda:GetFunctionConfiguration'],
    // The renames apply to their service only, and only an operation's own name is renamed.
    ['ec2', 'HeadObject', 'ec2:HeadObject'],
    ['s3', 'constructor', 's3:constructor'],
    ['constructor', 'Invoke', 'constructor:Invoke'],
  ])('%s %s is %s', (service, operation, action) => {
    expect(iamAction(service, operation)).toBe(action);
  });
});

describe('isNotFound', () => {
  it.each([
    'FileSystemNotFound',
    'AccessPointNotFound',
    'InvalidSubnetID.NotFound',
    'NoSuchEntity',
    'NoSuchKey',
    'NoSuchBucket',
    'NotFound',
  ])('%s is a missing resource', (name) => {
    expect(isNotFound(awsError(name, 'gone'))).toBe(true);
  });

  it.each([
    'AccessDenied',
    'UnauthorizedOperation',
    'ThrottlingException',
    'ValidationError',
    'AlsoNoSuchThing',
    'AccessDeniedNotFound',
  ])('%s is not', (name) => {
    expect(isNotFound(awsError(name, 'no'))).toBe(false);
  });

  it('reads only errors', () => {
    expect(isNotFound({ name: 'NoSuchKey' })).toBe(false);
    expect(isNotFound('NoSuchKey')).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

describe('explainAwsError', () => {
  it('names the action to allow when AWS refused it', () => {
    expect(explainAwsError(awsError('UnauthorizedOperation', 'You are not authorized', 'ec2:RunInstances'))).toBe(
      "ec2:RunInstances was denied (UnauthorizedOperation: You are not authorized). Allow ec2:RunInstances in the role's policy (docs/iam-policy.json has them all).",
    );
  });

  it.each([
    ['AccessDenied', 'Access Denied'],
    ['Forbidden', 'Forbidden'],
    ['UnknownError', 'Request refused: AccessDenied'],
  ])('reads %s (%s) as a refusal, naming the operation when AWS names no action', (name, message) => {
    expect(explainAwsError(awsError(name, message, 's3:PutObject'))).toBe(
      `s3:PutObject was denied (${name}: ${message}). Allow s3:PutObject in the role's policy (docs/iam-policy.json has them all).`,
    );
  });

  it('names the action and the principal AWS names, and the fix for them', () => {
    const message =
      'User: arn:aws:sts::123456789012:assumed-role/efsync-action/run-7 is not authorized to perform: ' +
      'ssm:SendCommand on resource: arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc because no ' +
      'identity-based policy allows the ssm:SendCommand action';
    expect(explainAwsError(awsError('AccessDeniedException', message, 'ssm:SendCommand'))).toBe(
      'ssm:SendCommand was denied (AccessDeniedException): arn:aws:sts::123456789012:assumed-role/efsync-action/run-7 ' +
        'is not authorized to perform ssm:SendCommand on arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc, ' +
        'because no identity-based policy allows it. Allow ssm:SendCommand on ' +
        'arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc in the policy of role efsync-action ' +
        '(docs/iam-policy.json has all that efsync needs).',
    );
  });

  it('names iam:PassRole, not ec2:RunInstances, when RunInstances was refused for it, with the decode command once', () => {
    const blob = 'x'.repeat(3000);
    const message =
      'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/efsync-action/gha ' +
      'is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/other because no ' +
      `identity-based policy allows the iam:PassRole action. Encoded authorization failure message: ${blob}`;
    const text = explainAwsError(awsError('UnauthorizedOperation', message, 'ec2:RunInstances'));
    expect(text).toMatch(
      /^ec2:RunInstances was denied \(UnauthorizedOperation\): arn:aws:sts::123456789012:assumed-role\/efsync-action\/gha is not authorized to perform iam:PassRole on arn:aws:iam::123456789012:role\/other, because no identity-based policy allows it\. Allow iam:PassRole on arn:aws:iam::123456789012:role\/other in the policy of role efsync-action /,
    );
    expect(text).not.toContain('Allow ec2:RunInstances');
    expect(text).toContain('decode them (this needs sts:DecodeAuthorizationMessage)');
    expect(text).toContain(`aws sts decode-authorization-message --encoded-message ${blob} --query DecodedMessage`);
    expect(text.split(blob)).toHaveLength(2);
    expect(text).not.toContain('\n');
  });

  it('gives the decode command for an encoded message that names nothing else', () => {
    const message = 'You are not authorized to perform this operation. Encoded authorization failure message: AbC-12_x';
    expect(explainAwsError(awsError('UnauthorizedOperation', message, 'ec2:RunInstances'))).toBe(
      'ec2:RunInstances was denied (UnauthorizedOperation: You are not authorized to perform this operation.). ' +
        "Allow ec2:RunInstances, and the actions it needs with it, in the role's policy (docs/iam-policy.json has " +
        'them all); the decoded message names the action refused. AWS encoded the details of the refusal; decode ' +
        'them (this needs sts:DecodeAuthorizationMessage) with: aws sts decode-authorization-message ' +
        '--encoded-message AbC-12_x --query DecodedMessage --output text',
    );
  });

  it('says that a Deny overrides any Allow, and where it is', () => {
    const message =
      'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/efsync-action/gha ' +
      'is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-2:123456789012:instance/* ' +
      'with an explicit deny in a service control policy. Encoded authorization failure message: g4oZ';
    const text = explainAwsError(awsError('UnauthorizedOperation', message, 'ec2:RunInstances'));
    expect(text).toContain('with an explicit deny in a service control policy. A Deny overrides every Allow:');
    expect(text).toContain('remove or narrow the Deny in that service control policy');
    expect(text).toContain('--encoded-message g4oZ ');
  });

  it('asks for the Allow in the policy that lacks it: a permissions boundary, say', () => {
    const message =
      'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:PutObject on resource: ' +
      '"arn:aws:s3:::staging/efsync/runs/1/job.json" because no permissions boundary allows the s3:PutObject action';
    expect(explainAwsError(awsError('AccessDenied', message, 's3:PutObject'))).toBe(
      's3:PutObject was denied (AccessDenied): arn:aws:iam::123456789012:user/ci is not authorized to perform ' +
        's3:PutObject on arn:aws:s3:::staging/efsync/runs/1/job.json, because no permissions boundary allows it. ' +
        "Allow s3:PutObject on arn:aws:s3:::staging/efsync/runs/1/job.json in the permissions boundary as well: it limits what the role's own policy grants.",
    );
  });

  it('reads a refusal without the operation tag by the action AWS names', () => {
    const message =
      'User: arn:aws:iam::1:user/admin is not authorized to perform: elasticfilesystem:DescribeFileSystems on the specified resource';
    expect(explainAwsError(awsError('AccessDeniedException', message))).toBe(
      'elasticfilesystem:DescribeFileSystems was denied (AccessDeniedException): arn:aws:iam::1:user/admin is not ' +
        'authorized to perform elasticfilesystem:DescribeFileSystems. Allow elasticfilesystem:DescribeFileSystems in ' +
        'the policy of user admin (docs/iam-policy.json has all that efsync needs).',
    );
  });

  it('names the operation of any other failure', () => {
    expect(
      explainAwsError(awsError('InsufficientInstanceCapacity', 'No capacity in eu-central-1a', 'ec2:RunInstances')),
    ).toBe('ec2:RunInstances failed (InsufficientInstanceCapacity): No capacity in eu-central-1a');
  });

  it('falls back to the name when the message is empty', () => {
    expect(explainAwsError(awsError('NotFound', '', 's3:ListBucket'))).toBe(
      's3:ListBucket failed (NotFound): NotFound',
    );
    expect(explainAwsError(awsError('NotFound', ''))).toBe('NotFound');
  });

  it('gives the message alone for an untagged error, and the text of anything else', () => {
    expect(explainAwsError(awsError('AccessDenied', 'Access Denied'))).toBe('Access Denied');
    expect(explainAwsError('plain text')).toBe('plain text');
    expect(explainAwsError(42)).toBe('42');
  });
});
