/** Preflight's checks of the instance profile and the staging bucket, each failure one message with the fix. */
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { isNotFound } from './errors.js';
import { checkAgentRole } from './instance-role.js';
import { PreflightError } from './preflight-error.js';

/** The profile exists and has a role, and the role grants what SSM Agent needs (instance-role.ts). */
export async function checkInstanceProfile(
  clients: AwsClients,
  profile: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  const name = profile.startsWith('arn:') ? (profile.split('/').pop() ?? profile) : profile;
  try {
    const found = await clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    const role = found.InstanceProfile?.Roles?.[0]?.RoleName;
    if (!role) {
      throw new PreflightError(
        `Instance profile ${name} has no role. Add one with SSM Agent's Run Command permissions (docs/instance-role.json).`,
      );
    }
    await checkAgentRole(clients, role, log);
  } catch (error) {
    if (error instanceof PreflightError) throw error;
    if (isNotFound(error)) {
      throw new PreflightError(
        `Instance profile ${name} does not exist. Deploy infra/efsync.yaml (it creates <stack>-instance), or set instance-profile.`,
      );
    }
    throw error;
  }
}

export async function checkBucket(clients: AwsClients, bucket: string): Promise<void> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404)
      throw new PreflightError(
        `Staging bucket ${bucket} does not exist. Create it (infra/ does) or fix staging-bucket.`,
      );
    if (status === 403)
      throw new PreflightError(
        `Access to staging bucket ${bucket} is denied. Give the role s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it.`,
      );
    throw error;
  }
}
