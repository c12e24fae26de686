/**
 * Preflight's checks of the instance profile, the staging bucket, NFS between the security groups and the instance
 * types, each failure one message with the fix.
 */
import { type EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
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
export declare function checkInstanceProfile(clients: AwsClients, profile: string, log?: (line: string) => void): Promise<void>;
export declare function checkBucket(clients: AwsClients, bucket: string): Promise<void>;
/** The mount target's groups must admit TCP 2049 from the instance's groups (or its subnet), and the instance's groups let it out. */
export declare function checkNfsPath(ec2: EC2Client, mountGroups: string[], instanceGroups: string[], subnetCidr: string | undefined): Promise<void>;
export declare function checkInstanceTypes(ec2: EC2Client, types: string[]): Promise<InstanceTypeChoice[]>;
