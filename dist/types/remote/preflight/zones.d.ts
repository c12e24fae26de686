/**
 * Where the instance may run: the zones with a mount target of the file system (only the zone of `subnet-id` when it
 * is given), each with the subnet to launch in, crossed with the instance types offered there. Not every type is
 * offered in every zone: RunInstances then fails with `Unsupported` ("Your requested instance type is not supported
 * in your requested Availability Zone", EC2 API reference, Error codes; "Instance type offerings",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-discovery.html), so DescribeInstanceTypeOfferings
 * with LocationType availability-zone says where each type can go before anything is launched.
 */
import { type EC2Client } from '@aws-sdk/client-ec2';
/** One place to try: an instance type in a zone, launched in that zone's subnet. */
export interface Placement {
    availabilityZone: string;
    subnetId: string;
    type: string;
    architecture: 'x86_64' | 'arm64';
}
export interface ZoneSubnet {
    availabilityZone: string;
    subnetId: string;
}
/** Types offered per zone; `undefined` when the offerings could not be read (then every zone is tried). */
export type Offerings = Map<string, Set<string>> | undefined;
/**
 * The places to try, in order: the instance types as given, and for each the zones in order (the first zone is the
 * preferred one), leaving out the zones that do not offer the type. Throws when no zone offers any of the types.
 */
export declare function orderPlacements(zones: ZoneSubnet[], types: {
    type: string;
    architecture: 'x86_64' | 'arm64';
}[], offerings: Offerings, fileSystemId: string): Placement[];
/** A log line: what will be tried, and which zones are left out for which type. */
export declare function describePlacements(zones: ZoneSubnet[], placements: Placement[], types: string[]): string;
/** The instance types of `types` offered in each zone of the region; undefined (and a log line) if EC2 will not say. */
export declare function readOfferings(ec2: EC2Client, types: string[], log: (line: string) => void): Promise<Offerings>;
