import type { AwsClients } from '../../aws/clients.js';
export interface Borrowed {
    instanceId: string;
    subnetId: string;
    availabilityZone: string;
    securityGroupIds: string[];
    architecture: 'x86_64' | 'arm64';
}
export declare function describeBorrowed(clients: AwsClients, instanceId: string): Promise<Borrowed>;
/** A mount target must be in the instance's zone: the file system's DNS name resolves only there. */
export declare function zoneProblem(borrowed: Borrowed, fileSystemId: string, targets: {
    AvailabilityZoneName?: string | undefined;
    SubnetId?: string | undefined;
}[]): string | undefined;
