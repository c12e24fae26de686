/**
 * What an AWS refusal says, read from its message, so that the error can name the action that was really refused
 * (RunInstances also fails for iam:PassRole, ec2:CreateTags or kms:*), who was refused, which policy refused it, and
 * how to read the details AWS encoded.
 *
 * AWS words most refusals "User: <principal> is not authorized to perform: <action> on resource: <resource> because
 * no <type> policy allows the <action> action", or "... with an explicit deny in a <type> policy" (IAM User Guide,
 * "Troubleshooting access denied error messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 * S3 quotes the resource (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html), EFS
 * says "on the specified resource", EC2 starts with "You are not authorized to perform this operation." and may end
 * with "Encoded authorization failure message: <message>", which `aws sts decode-authorization-message` decodes for a
 * caller allowed sts:DecodeAuthorizationMessage (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
 */

export interface Refusal {
  /** The IAM action AWS says was refused, e.g. iam:PassRole. */
  action?: string;
  /** Who was refused, e.g. arn:aws:sts::123456789012:assumed-role/efsync-action/run. */
  principal?: string;
  resource?: string;
  /** The policy that refused: a Deny in it (explicit), or none of its kind allowing the action. */
  policy?: { explicit: boolean; type: string };
  /** EC2's encoded authorization failure message. */
  encoded?: string;
}

const ACTION = /not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)/;
const PRINCIPAL = /User:\s+(arn:\S+)\s+is not authorized/;
const RESOURCE =
  /\bon resource:\s+"?(.+?)"?(?=\s+because\s|\s+with an explicit deny|[.;,]?\s+Encoded authorization failure message|\.?\s*$)/;
const IMPLICIT = /because no (.+?) allows the \S+ action/;
const EXPLICIT =
  /with an explicit deny in (?:an? )?(.+?)(?=[.;,:]?\s+Encoded authorization failure message|[.;,:](?:\s|$)|$)/;
const ENCODED = /Encoded authorization failure message:\s*(\S+)/;

/** The parts of a refusal AWS's message names; an empty object when it names none. */
export function readRefusal(message: string): Refusal {
  const refusal: Refusal = {};
  const action = ACTION.exec(message)?.[1];
  if (action) refusal.action = action;
  const principal = PRINCIPAL.exec(message)?.[1];
  if (principal) refusal.principal = principal;
  const resource = RESOURCE.exec(message)?.[1];
  if (resource) refusal.resource = resource;
  const explicit = EXPLICIT.exec(message)?.[1];
  const implicit = IMPLICIT.exec(message)?.[1];
  if (explicit) refusal.policy = { explicit: true, type: explicit.trim() };
  else if (implicit) refusal.policy = { explicit: false, type: implicit.trim() };
  const encoded = ENCODED.exec(message)?.[1];
  if (encoded) refusal.encoded = encoded;
  return refusal;
}

/** AWS's message without the encoded blob (it is given once, in the command that decodes it). */
export function withoutEncoded(message: string): string {
  return message.replace(/\s*Encoded authorization failure message:\s*\S+/, '').trim();
}

/** "role efsync-action" for an assumed role's session, "user ci" for a user; the ARN for anything else. */
export function principalName(arn: string): string {
  const role = /^arn:[^:]+:sts::\d*:assumed-role\/([^/]+)\//.exec(arn)?.[1];
  if (role) return `role ${role}`;
  const user = /^arn:[^:]+:iam::\d*:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  if (user) return `user ${user}`;
  return arn;
}

/**
 * One line on a refusal: who may not do what, on what, why, the fix, and the command that decodes AWS's encoded
 * details. `operationAction` is the IAM action of the call that failed (ec2:RunInstances).
 */
export function describeRefusal(operationAction: string, name: string, message: string): string {
  const refusal = readRefusal(message);
  const action = refusal.action ?? operationAction;
  const decode = refusal.encoded
    ? ` AWS encoded the details of the refusal; decode them (this needs sts:DecodeAuthorizationMessage) with: ` +
      `aws sts decode-authorization-message --encoded-message ${refusal.encoded} --query DecodedMessage --output text`
    : '';
  if (!refusal.action && !refusal.principal) {
    const said = withoutEncoded(message) || name;
    const fix = refusal.encoded
      ? `Allow ${operationAction}, and the actions it needs with it, in the role's policy (docs/iam-policy.json has ` +
        'them all); the decoded message names the action refused.'
      : `Allow ${operationAction} in the role's policy (docs/iam-policy.json has them all).`;
    return `${operationAction} was denied (${name}: ${said}). ${fix}${decode}`;
  }
  const who = refusal.principal ?? 'the caller';
  const on = refusal.resource ? ` on ${refusal.resource}` : '';
  const why = refusal.policy
    ? refusal.policy.explicit
      ? `, with an explicit deny in ${article(refusal.policy.type)}`
      : `, because no ${refusal.policy.type} allows it`
    : '';
  const holder = refusal.principal ? principalName(refusal.principal) : 'the role';
  const fix =
    refusal.policy?.explicit === true
      ? `A Deny overrides every Allow: remove or narrow the Deny in that ${refusal.policy.type} (its owner can), or ` +
        `run with a role it does not apply to.`
      : refusal.policy && !/identity-based/.test(refusal.policy.type)
        ? `Allow ${action}${on} in the ${refusal.policy.type} as well: it limits what the role's own policy grants.`
        : `Allow ${action}${on} in the policy of ${holder} (docs/iam-policy.json has all that efsync needs).`;
  return `${operationAction} was denied (${name}): ${who} is not authorized to perform ${action}${on}${why}. ${fix}${decode}`;
}

function article(type: string): string {
  return /^[aeiou]/i.test(type) ? `an ${type}` : `a ${type}`;
}
