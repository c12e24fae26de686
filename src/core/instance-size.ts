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
export const SIZES: readonly InstanceSize[] = [
  { type: 't4g.small', vcpus: 2, baselineGbps: 0.128, burstGbps: 5, others: [] },
  { type: 'c7g.large', vcpus: 2, baselineGbps: 0.937, burstGbps: 12.5, others: ['m7g.large'] },
  { type: 'c7g.xlarge', vcpus: 4, baselineGbps: 1.876, burstGbps: 12.5, others: ['m7g.xlarge'] },
  { type: 'c7g.2xlarge', vcpus: 8, baselineGbps: 3.75, burstGbps: 15, others: ['m7g.2xlarge'] },
  { type: 'c7g.4xlarge', vcpus: 16, baselineGbps: 7.5, burstGbps: 15, others: ['m7g.4xlarge'] },
];

/** What `instance-type: auto` writes, and what an empty list of types means. */
export const AUTO = 'auto';

/** The bytes of a run at a type's baseline bandwidth take at most this long, or the largest type is chosen. */
export const TARGET_SECONDS = 120;

/** Parallel downloads and writes on the instance, unless the type says more (agentConcurrency). */
export const DEFAULT_CONCURRENCY = 16;
export const MAX_CONCURRENCY = 64;

/**
 * Bytes one download brings per second, for sizing the agent's pool: half of one S3 connection's 80 MiB/s (the test
 * bed's latency model, testbed/latency.ts), since a 16 MiB part spends part of its life in the first-byte wait
 * and TCP's slow start.
 */
const MIB_PER_DOWNLOAD = 40;

/** Every type `auto` may launch, smallest first: what preflight checks the offerings of. */
export function autoTypes(): string[] {
  return SIZES.flatMap((size) => [size.type, ...size.others]);
}

/** Bytes per second of a bandwidth in Gbps (decimal, as AWS counts it). */
export function bytesPerSecond(gbps: number): number {
  return (gbps * 1e9) / 8;
}

/** The row of a type, by its name or one of its `others`. */
export function sizeOf(type: string): InstanceSize | undefined {
  return SIZES.find((size) => size.type === type || size.others.includes(type));
}

export interface SizeChoice {
  size: InstanceSize;
  /** The types to launch, in order: the chosen one, its others, then each smaller size down to the smallest. */
  types: string[];
  bytes: number;
  /** The bytes at the chosen type's baseline bandwidth. */
  transferSeconds: number;
}

/** The smallest size whose baseline moves `bytes` within TARGET_SECONDS, else the largest. */
export function chooseSize(bytes: number): SizeChoice {
  const moved = Math.max(0, bytes);
  const index = SIZES.findIndex((size) => moved / bytesPerSecond(size.baselineGbps) <= TARGET_SECONDS);
  const at = index === -1 ? SIZES.length - 1 : index;
  const size = SIZES[at] as InstanceSize;
  const types = SIZES.slice(0, at + 1)
    .reverse()
    .flatMap((s) => [s.type, ...s.others]);
  return { size, types, bytes: moved, transferSeconds: moved / bytesPerSecond(size.baselineGbps) };
}

/**
 * The agent's parallel downloads and writes on a type: enough downloads of MIB_PER_DOWNLOAD each to fill the type's
 * burst bandwidth, at least DEFAULT_CONCURRENCY (small files are bounded by NFS round trips, not bytes), at most
 * MAX_CONCURRENCY (the agent's own cap). A type not in the table gets the default.
 */
export function agentConcurrency(type: string | undefined): number {
  const size = type === undefined ? undefined : sizeOf(type);
  if (!size) return DEFAULT_CONCURRENCY;
  const wanted = Math.ceil(bytesPerSecond(size.burstGbps) / 1048576 / MIB_PER_DOWNLOAD);
  return Math.min(MAX_CONCURRENCY, Math.max(DEFAULT_CONCURRENCY, wanted));
}

/** The log line that says which type was chosen, and why. */
export function describeChoice(choice: SizeChoice): string {
  const { size, bytes, transferSeconds } = choice;
  const gb = (bytes / 1e9).toFixed(bytes >= 1e9 ? 1 : 3);
  const fallback = choice.types.length > 1 ? `; if EC2 has no capacity: ${choice.types.slice(1).join(', ')}` : '';
  const reason =
    choice.size === SIZES.at(-1) && transferSeconds > TARGET_SECONDS
      ? `the largest of the table`
      : `the smallest whose baseline moves them within ${TARGET_SECONDS} s`;
  return (
    `Instance type ${size.type} (instance-type: auto): this run moves ${gb} GB; at ${size.type}'s baseline ` +
    `${size.baselineGbps} Gbps that is about ${Math.ceil(transferSeconds)} s (${reason})${fallback}`
  );
}
