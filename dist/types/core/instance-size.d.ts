/**
 * The instance a run launches when `instance-type` is `auto` (the default), from the bytes the run moves: the
 * smallest type of SIZES whose baseline network bandwidth moves them within TARGET_SECONDS, so a big first publish
 * stays bounded by the network, not by a small burstable instance whose burst credits ran out.
 *
 * The figures are AWS's: DescribeInstanceTypes, NetworkInfo.NetworkCards[0].BaselineBandwidthInGbps and
 * PeakBandwidthInGbps, as the Amazon EC2 Instance Types guide lists them ("Network specifications",
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network for t4g and m7g,
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html#co_network for c7g). Bandwidth applies to inbound and
 * outbound traffic at once ("Amazon EC2 instance network bandwidth",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-network-bandwidth.html): S3 in, NFS out. A type
 * "up to" its peak bursts above its baseline only while it has network I/O credits, so the choice reckons with the
 * baseline alone. Pure: no I/O.
 */
export interface InstanceSize {
    type: string;
    vcpus: number;
    /** Sustained bandwidth, Gbps (each direction). */
    baselineGbps: number;
    /** Bandwidth while burst credits last, Gbps. */
    burstGbps: number;
    /** Types with the same vCPUs and bandwidth, launched when EC2 has no capacity for `type` (m7g: c7g's figures). */
    others: string[];
}
/** Smallest first. Every type is a Graviton (arm64): the AMI follows. */
export declare const SIZES: readonly InstanceSize[];
/** What `instance-type: auto` writes, and what an empty list of types means. */
export declare const AUTO = "auto";
/** The bytes of a run at a type's baseline bandwidth take at most this long, or the largest type is chosen. */
export declare const TARGET_SECONDS = 120;
/** Parallel downloads and writes on the instance, unless the type says more (agentConcurrency). */
export declare const DEFAULT_CONCURRENCY = 16;
export declare const MAX_CONCURRENCY = 64;
/** Every type `auto` may launch, smallest first: what preflight checks the offerings of. */
export declare function autoTypes(): string[];
/** Bytes per second of a bandwidth in Gbps (decimal, as AWS counts it). */
export declare function bytesPerSecond(gbps: number): number;
/** The row of a type, by its name or one of its `others`. */
export declare function sizeOf(type: string): InstanceSize | undefined;
export interface SizeChoice {
    size: InstanceSize;
    /** The types to launch, in order: the chosen one, its others, then each smaller size down to the smallest. */
    types: string[];
    bytes: number;
    /** The bytes at the chosen type's baseline bandwidth. */
    transferSeconds: number;
}
/** The smallest size whose baseline moves `bytes` within TARGET_SECONDS, else the largest. */
export declare function chooseSize(bytes: number): SizeChoice;
/**
 * The agent's parallel downloads and writes on a type: enough downloads of MIB_PER_DOWNLOAD each to fill the type's
 * burst bandwidth, at least DEFAULT_CONCURRENCY (small files are bounded by NFS round trips, not bytes), at most
 * MAX_CONCURRENCY (the agent's own cap). A type not in the table gets the default.
 */
export declare function agentConcurrency(type: string | undefined): number;
/** The log line that says which type was chosen, and why. */
export declare function describeChoice(choice: SizeChoice): string;
