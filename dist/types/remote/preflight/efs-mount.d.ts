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
import { type EFSClient } from '@aws-sdk/client-efs';
import type { MountSpec } from '../protocol.js';
export interface PolicyFacts {
    /** The file system has a policy of its own (not the default). */
    exists: boolean;
    /** A Deny on aws:SecureTransport false: mounts without TLS are refused. */
    requiresTls: boolean;
}
/** The file system's policy document, or undefined for the default policy (PolicyNotFound). */
export declare function readFileSystemPolicy(efs: EFSClient, fileSystemId: string): Promise<string | undefined>;
export declare function policyFacts(policy: string | undefined): PolicyFacts;
/** The file system's DNS name in the region's partition (amazonaws.com.cn in China), as the SDK's partitions give it. */
export declare function fileSystemDnsName(fileSystemId: string, region: string): string;
export declare function planMount(input: {
    fileSystemId: string;
    region: string;
    mountTargetIp?: string | undefined;
    mountTargetIps?: Record<string, string> | undefined;
    accessPointId?: string | undefined;
    policy: PolicyFacts;
}): MountSpec;
/**
 * Whether the mount cannot do without the EFS mount helper, which the agent installs with dnf (agent: have_mount_helper):
 * where plain NFSv4.1 is not allowed, a failed install fails the run; elsewhere the agent falls back to plain NFS.
 */
export declare function needsMountHelper(spec: MountSpec): boolean;
