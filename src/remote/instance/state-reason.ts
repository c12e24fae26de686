/**
 * Why an instance ended, in words a user can act on. EC2 can take an instance from pending straight to terminated
 * ("Instance terminates immediately", EC2 User Guide, Troubleshoot Amazon EC2 instance launch issues:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-internal),
 * and gives the cause as the instance's StateReason, a code and a message whose codes the EC2 API reference lists
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html).
 *
 * A Server.InsufficientInstanceCapacity here is not met by launching the next type of `instance-type`, as
 * RunInstances' InsufficientInstanceCapacity is: EC2 reports a lack of capacity when RunInstances is called (EC2
 * User Guide, Insufficient instance capacity), an instance it accepted and then ends for capacity is rare, and the
 * run launches its one instance once. The error names the fallbacks instead.
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';

export interface StateReason {
  code?: string | undefined;
  message?: string | undefined;
}

export interface InstanceStatus {
  /** pending, running, shutting-down, terminated, stopping, stopped; 'absent' when EC2 does not list it. */
  state: string;
  reason: StateReason;
}

/** The instance's state and StateReason, from DescribeInstances. */
export async function instanceStatus(ec2: EC2Client, instanceId: string): Promise<InstanceStatus> {
  const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })).catch((error: unknown) => {
    if (/InvalidInstanceID/.test((error as Error).name)) return undefined;
    throw error;
  });
  const instance = found?.Reservations?.[0]?.Instances?.[0];
  return {
    state: instance?.State?.Name ?? 'absent',
    reason: { code: instance?.StateReason?.Code, message: instance?.StateReason?.Message },
  };
}

/** The reason as the error gives it: `state reason <code> ("<message>")`, or that EC2 gave none. */
export function describeStateReason(reason: StateReason): string {
  if (!reason.code && !reason.message) return 'no state reason';
  return `state reason ${reason.code || '(no code)'}${reason.message ? ` ("${reason.message}")` : ''}`;
}

/** The codes a reason carries, the most specific first: EC2's message may start with a finer code than Code. */
function codesOf(reason: StateReason): string[] {
  const inMessage = /^([A-Z][A-Za-z]*\.[\w.]+):/.exec(reason.message ?? '')?.[1];
  return [inMessage, reason.code].filter((code): code is string => Boolean(code));
}

const KMS_FIX =
  "The instance's EBS volume could not use its KMS key. With EBS encryption by default the volume is encrypted " +
  'with the default key of the account and region (`aws ec2 get-ebs-default-kms-key-id`); that key must be enabled, ' +
  'and the role running this action must be allowed kms:CreateGrant, kms:Decrypt, kms:DescribeKey, ' +
  'kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt* on it, by the key policy (or by its IAM policy where the ' +
  'key policy defers to IAM): EC2 uses the key through a grant the role creates. Or make the AWS managed key ' +
  'aws/ebs the default again (`aws ec2 reset-ebs-default-kms-key-id`, for the whole account in this region).';

// Each fix, by the StateReason codes of the EC2 API reference and the User Guide's solutions. Client.InvalidKMSKey.*
// is not in that list, but instances are reported ending with it when the volume's key is disabled or cannot be used
// ("Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state").
const FIXES: [RegExp, string][] = [
  [
    /^Client\.VolumeLimitExceeded$/,
    'The EBS quota of the account in this region (volumes or total storage) is reached: delete unused volumes, or ' +
      'ask for a higher Amazon EBS quota in Service Quotas.',
  ],
  // "Client.InternalError: Client error on launch — Ensure that you have the permissions required to access the
  // KMS keys used to decrypt and encrypt volumes" (User Guide); the permissions: "Permissions for users",
  // https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html.
  [/^Client\.InvalidKMSKey(\.|$)|^Client\.InternalError$/, KMS_FIX],
  [
    /^Server\.InsufficientInstanceCapacity$/,
    'EC2 had no capacity for the instance type in this Availability Zone: run again later, list fallbacks in ' +
      'instance-type (e.g. `t4g.small,t3.small,m7g.medium`), or use a subnet-id in another Availability Zone with a ' +
      'mount target.',
  ],
  [/^Server\.InternalError$/, 'An internal error of EC2 ended it: run again.'],
  [
    /^Client\.UserInitiatedShutdown$/,
    'Someone or something terminated it through the EC2 API: find the TerminateInstances call in CloudTrail; run again.',
  ],
  [
    /^Client\.InstanceInitiatedShutdown$/,
    'It shut itself down (its operating system, or the run reaching timeout-minutes): run again, with a larger ' +
      'timeout-minutes if the run needs it.',
  ],
];

const GENERIC_FIX =
  'See the instance in the EC2 console (State transition reason) and "Instance terminates immediately" in the EC2 ' +
  "User Guide's launch troubleshooting; run again.";

/** What to do about an instance that ended with this reason. Pure. */
export function stateReasonFix(reason: StateReason): string {
  for (const code of codesOf(reason)) {
    const fix = FIXES.find(([pattern]) => pattern.test(code));
    if (fix) return fix[1];
  }
  return GENERIC_FIX;
}
