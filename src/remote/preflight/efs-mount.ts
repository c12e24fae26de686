/**
 * How the instance mounts the file system, decided before anything is launched from the file system policy and
 * the access point. The facts, from the EFS User Guide ("Using IAM to control access to file systems",
 * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html):
 * - without a policy (DescribeFileSystemPolicy answers PolicyNotFound) every client that reaches a mount target has
 *   full access, anonymous ones included;
 * - with a policy, a client that does not mount with the EFS mount helper's `iam` option is anonymous: refused, or
 *   without ClientRootAccess its root is squashed; `iam` needs the mount helper and `tls`;
 * - `aws:SecureTransport` in a Deny refuses every mount without TLS.
 * So the agent always mounts with the mount helper and TLS, adds `iam` for a policy or an access point, and keeps
 * plain NFSv4.1 as a fallback only where the file system lets any client in.
 */
import { DescribeFileSystemPolicyCommand, type EFSClient } from '@aws-sdk/client-efs';
import { partition } from '@aws-sdk/core/client';
import { isNotFound } from '../../aws/errors.js';
import { isRecord } from '../../core/published.js';
import type { MountSpec } from '../protocol.js';

export interface PolicyFacts {
  /** The file system has a policy of its own (not the default). */
  exists: boolean;
  /** A Deny on aws:SecureTransport false: mounts without TLS are refused. */
  requiresTls: boolean;
}

/** The file system's policy document, or undefined for the default policy (PolicyNotFound). */
export async function readFileSystemPolicy(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  try {
    return (await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId }))).Policy;
  } catch (error) {
    if (isNotFound(error) && !/FileSystemNotFound/.test((error as Error).name)) return undefined;
    throw error;
  }
}

export function policyFacts(policy: string | undefined): PolicyFacts {
  if (policy === undefined) return { exists: false, requiresTls: false };
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    // EFS validates a policy when it is put; an unreadable one is treated as the strictest.
    return { exists: true, requiresTls: true };
  }
  const statements = isRecord(document) ? [document.Statement].flat() : [];
  const requiresTls = statements.some((s) => isRecord(s) && s.Effect === 'Deny' && deniesWithoutTls(s.Condition));
  return { exists: true, requiresTls };
}

function deniesWithoutTls(condition: unknown): boolean {
  if (!isRecord(condition)) return false;
  return ['Bool', 'BoolIfExists'].some((operator) => {
    const keys = condition[operator];
    if (!isRecord(keys)) return false;
    const entry = Object.entries(keys).find(([key]) => key.toLowerCase() === 'aws:securetransport');
    return entry !== undefined && [entry[1]].flat().some((v) => String(v).toLowerCase() === 'false');
  });
}

/** The file system's DNS name in the region's partition (amazonaws.com.cn in China), as the SDK's partitions give it. */
export function fileSystemDnsName(fileSystemId: string, region: string): string {
  return `${fileSystemId}.efs.${region}.${partition(region).dnsSuffix}`;
}

export function planMount(input: {
  fileSystemId: string;
  region: string;
  mountTargetIp?: string | undefined;
  mountTargetIps?: Record<string, string> | undefined;
  accessPointId?: string | undefined;
  policy: PolicyFacts;
}): MountSpec {
  const { policy, accessPointId } = input;
  const why: string[] = [];
  if (policy.requiresTls) why.push('its policy denies access without encryption in transit (aws:SecureTransport)');
  if (policy.exists) why.push('it has a file system policy, so the instance presents its IAM role (iam)');
  if (accessPointId) why.push(`access point ${accessPointId} needs the EFS mount helper, with its IAM role (iam)`);
  const plainNfsAllowed = !policy.exists && !accessPointId;
  if (plainNfsAllowed) why.push('it has no policy, so plain NFSv4.1 is the fallback if the mount helper is missing');
  return {
    fileSystemId: input.fileSystemId,
    dnsName: fileSystemDnsName(input.fileSystemId, input.region),
    ...(input.mountTargetIp && { mountTargetIp: input.mountTargetIp }),
    ...(input.mountTargetIps &&
      Object.keys(input.mountTargetIps).length > 0 && { mountTargetIps: input.mountTargetIps }),
    iam: policy.exists || accessPointId !== undefined,
    ...(accessPointId && { accessPointId }),
    plainNfsAllowed,
    reason: `TLS (encryption in transit) always; ${why.join('; ')}`,
  };
}

/**
 * Whether the mount cannot do without the EFS mount helper, which the agent installs with dnf (agent: have_mount_helper):
 * where plain NFSv4.1 is not allowed, a failed install fails the run; elsewhere the agent falls back to plain NFS.
 */
export function needsMountHelper(spec: MountSpec): boolean {
  return !spec.plainNfsAllowed;
}
