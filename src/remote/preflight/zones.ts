/**
 * Where the instance may run: the zones with a mount target of the file system (only the zone of `subnet-id` when it
 * is given), each with the subnet to launch in, crossed with the instance types offered there. Not every type is
 * offered in every zone: RunInstances then fails with `Unsupported` ("Your requested instance type is not supported
 * in your requested Availability Zone", EC2 API reference, Error codes; "Instance type offerings",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-discovery.html), so DescribeInstanceTypeOfferings
 * with LocationType availability-zone says where each type can go before anything is launched.
 */
import { type EC2Client, paginateDescribeInstanceTypeOfferings } from '@aws-sdk/client-ec2';
import { explainAwsError } from '../../aws/errors.js';
import { PreflightError } from '../../core/errors.js';

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
export function orderPlacements(
  zones: ZoneSubnet[],
  types: { type: string; architecture: 'x86_64' | 'arm64' }[],
  offerings: Offerings,
  fileSystemId: string,
): Placement[] {
  const placements = types.flatMap(({ type, architecture }) =>
    zones
      .filter((z) => offerings === undefined || offerings.get(z.availabilityZone)?.has(type) === true)
      .map((z) => ({ ...z, type, architecture })),
  );
  if (placements.length === 0) {
    const names = types.map((t) => t.type).join(', ');
    const where = zones.map((z) => `${z.availabilityZone} (${z.subnetId})`).join(', ');
    const offered = zones
      .map(
        (z) =>
          `${z.availabilityZone}: ${[...(offerings?.get(z.availabilityZone) ?? [])].sort().join(', ') || 'none of them'}`,
      )
      .join('; ');
    throw new PreflightError(
      `Instance type ${names} is not offered in any availability zone where ${fileSystemId} has a mount target ` +
        `(${where}). Choose an instance-type offered there (${offered}), add a mount target in a zone that offers it, ` +
        'or leave subnet-id empty.',
    );
  }
  return placements;
}

/** A log line: what will be tried, and which zones are left out for which type. */
export function describePlacements(zones: ZoneSubnet[], placements: Placement[], types: string[]): string {
  const skipped = types.flatMap((type) =>
    zones
      .filter((z) => !placements.some((p) => p.type === type && p.availabilityZone === z.availabilityZone))
      .map((z) => `${type} in ${z.availabilityZone}`),
  );
  const order = placements.map((p) => `${p.type} in ${p.availabilityZone} (${p.subnetId})`).join(', then ');
  return `Launch order: ${order}${skipped.length ? `; not offered: ${skipped.join(', ')}` : ''}`;
}

/** The instance types of `types` offered in each zone of the region; undefined (and a log line) if EC2 will not say. */
export async function readOfferings(ec2: EC2Client, types: string[], log: (line: string) => void): Promise<Offerings> {
  const byZone = new Map<string, Set<string>>();
  try {
    const pages = paginateDescribeInstanceTypeOfferings(
      { client: ec2 },
      { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: types }] },
    );
    for await (const page of pages) {
      for (const offer of page.InstanceTypeOfferings ?? []) {
        if (!offer.Location || !offer.InstanceType) continue;
        const set = byZone.get(offer.Location) ?? new Set<string>();
        set.add(offer.InstanceType);
        byZone.set(offer.Location, set);
      }
    }
  } catch (error) {
    log(
      `Could not read where ${types.join(', ')} is offered (${explainAwsError(error)}); every zone with a mount ` +
        'target will be tried',
    );
    return undefined;
  }
  return byZone;
}
