/**
 * Preflight's checks of the instance profile, the staging bucket, NFS between the security groups and the instance
 * types, each failure one message with the fix.
 */

import {
  type _InstanceType,
  DescribeInstanceTypesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../aws/clients.js';
import { isDenied, isNotFound } from '../../aws/errors.js';
import { PreflightError } from '../../core/errors.js';
import { checkAgentRole } from './instance-role.js';
import { cidrContains, ruleAdmitsNfs } from './security-groups.js';

/**
 * An instance type the run may launch, with its architecture; vCPUs where known: a VcpuLimitExceeded moves to a type
 * with fewer (launch-refusals.ts).
 */
export interface InstanceTypeChoice {
  type: string;
  architecture: 'x86_64' | 'arm64';
  vcpus?: number | undefined;
}

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

/** The mount target's groups must admit TCP 2049 from the instance's groups (or its subnet), and the instance's groups let it out. */
export async function checkNfsPath(
  ec2: EC2Client,
  mountGroups: string[],
  instanceGroups: string[],
  subnetCidr: string | undefined,
): Promise<void> {
  const ids = [...new Set([...mountGroups, ...instanceGroups])];
  const found = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids }))).SecurityGroups ?? [];
  const byId = new Map(found.map((g): [string, SecurityGroup] => [g.GroupId ?? '', g]));
  const missing = instanceGroups.filter((id) => !byId.has(id));
  if (missing.length)
    throw new PreflightError(`Security group ${missing.join(', ')} does not exist. Check security-group-ids.`);
  const admits = mountGroups.some((id) =>
    (byId.get(id)?.IpPermissions ?? []).some((rule) => ruleAdmitsNfs(rule, instanceGroups, subnetCidr)),
  );
  if (!admits) {
    const source = instanceGroups[0] ?? 'sg-INSTANCE';
    throw new PreflightError(
      `The mount target's security group ${mountGroups.join(', ')} does not admit NFS (TCP 2049) from the instance's ` +
        `group ${instanceGroups.join(', ')}. Add the rule: aws ec2 authorize-security-group-ingress --group-id ` +
        `${mountGroups[0]} --protocol tcp --port 2049 --source-group ${source}`,
    );
  }
  const egressOk = instanceGroups.some((id) =>
    (byId.get(id)?.IpPermissionsEgress ?? []).some(
      (rule) =>
        ruleAdmitsNfs(rule, mountGroups, undefined) ||
        (rule.IpRanges ?? []).some((r) => cidrContains(r.CidrIp ?? '', subnetCidr ?? '')),
    ),
  );
  if (!egressOk) {
    throw new PreflightError(
      `The instance's security group ${instanceGroups.join(', ')} does not let NFS (TCP 2049) out to the mount target. ` +
        `Add the rule: aws ec2 authorize-security-group-egress --group-id ${instanceGroups[0]} --protocol tcp --port 2049 --source-group ${mountGroups[0]}`,
    );
  }
}

const GRAVITON = /^([a-z]+\d*g[a-z]*|a1)\./;

export async function checkInstanceTypes(ec2: EC2Client, types: string[]): Promise<InstanceTypeChoice[]> {
  const answer = await ec2
    .send(new DescribeInstanceTypesCommand({ InstanceTypes: types as _InstanceType[] }))
    .catch((error: unknown) => {
      if (/InvalidInstanceType/.test((error as Error).name)) {
        throw new PreflightError(
          `Instance type ${types.join(', ')} is not offered in this region. Check instance-type, e.g. t4g.small.`,
        );
      }
      // A refusal is a missing permission to report, not an answer to guess around (the architecture, hence the AMI).
      if (isDenied(error)) throw error;
      return undefined;
    });
  return types.map((type) => {
    const info = answer?.InstanceTypes?.find((t) => t.InstanceType === type);
    const archs = info?.ProcessorInfo?.SupportedArchitectures ?? [];
    const architecture = archs.includes('arm64')
      ? 'arm64'
      : archs.includes('x86_64')
        ? 'x86_64'
        : GRAVITON.test(type)
          ? 'arm64'
          : 'x86_64';
    return { type, architecture, vcpus: info?.VCpuInfo?.DefaultVCpus };
  });
}
