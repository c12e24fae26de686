/**
 * Everything that can be checked before an instance exists, each failure one message that names the problem and
 * the fix: the file system, a mount target in the instance's AZ, a route to S3 from the subnet (s3-route.ts), NFS
 * between the security groups, the access point, the file system policy (which decides the mount options), the
 * instance profile, the instance types and the staging bucket.
 */
import { DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  paginateDescribeMountTargets,
} from '@aws-sdk/client-efs';
import type { AwsClients } from '../../aws/clients.js';
import { explainAwsError, isNotFound } from '../../aws/errors.js';
import { allPages } from '../../aws/pages.js';
import type { Config } from '../../config/types.js';
import { PreflightError } from '../../core/errors.js';
import { autoTypes, sizeOf } from '../../core/instance-size.js';
import type { MountSpec } from '../protocol.js';
import { type AccessPointFacts, checkAccessPoint } from './access-point.js';
import { type Borrowed, describeBorrowed, zoneProblem } from './borrowed.js';
import {
  checkBucket,
  checkInstanceProfile,
  checkInstanceTypes,
  checkNfsPath,
  type InstanceTypeChoice,
} from './checks.js';
import { needsMountHelper, planMount, policyFacts, readFileSystemPolicy } from './efs-mount.js';
import { checkRepoRoute } from './repo-route.js';
import { checkS3Route, readSubnetNetwork } from './s3-route.js';
import { checkSsmReach } from './ssm-reach.js';
import { describePlacements, orderPlacements, type Placement, readOfferings } from './zones.js';

export { PreflightError };

/** What preflight checked and found: the facts a launch and a job build on. */
export interface Preflight {
  subnetId: string;
  availabilityZone: string;
  securityGroupIds: string[];
  mount: MountSpec;
  /** The access point's root directory on the file system ('/' without one). */
  accessPointRoot: string;
  accessPointArn?: string;
  /** access-point-id as EFS describes it. */
  accessPoint?: AccessPointFacts;
  /** The instance types, in the order they are tried. */
  instanceTypes: InstanceTypeChoice[];
  /** Where to launch, in order (zones.ts): each type in each zone with a mount target that offers it. */
  placements?: Placement[];
  /** instance-id: the user's own instance, where it is; nothing is launched. */
  borrowed?: Borrowed;
  /**
   * `instance-type: auto`: the types above are every one the run may launch (core/instance-size.ts), narrowed to the
   * one chosen from the run's bytes once it is planned (remote/instance/sizing.ts).
   */
  autoSize?: boolean;
  /**
   * keep-warm: why a launch would fail (no SSM reach, no route to the package repositories), held back until the run
   * knows whether it reuses a warm instance, which needs neither; launching throws it before RunInstances.
   */
  launchBlocker?: string;
}

export async function preflight(
  config: Config,
  clients: AwsClients,
  log: (line: string) => void = () => {},
): Promise<Preflight> {
  const { efs, ec2 } = clients;
  try {
    const fsId = config.fileSystem.id;
    const where = `in ${clients.region}`;
    const systems = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fsId })).catch((error: unknown) => {
      if (isNotFound(error)) {
        throw new PreflightError(`File system ${fsId} does not exist ${where}. Check file-system-id and aws-region.`);
      }
      throw error;
    });
    const state = systems.FileSystems?.[0]?.LifeCycleState;
    if (state !== 'available')
      throw new PreflightError(`File system ${fsId} is ${state}, not available. Wait until it is, then run again.`);

    const targets = (
      await allPages(paginateDescribeMountTargets({ client: efs }, { FileSystemId: fsId }), (page) => page.MountTargets)
    ).filter((t) => t.LifeCycleState === 'available');
    if (targets.length === 0) {
      throw new PreflightError(
        `File system ${fsId} has no available mount target. Create one in a subnet of the VPC (EFS console, Network).`,
      );
    }
    const byAz = [...targets].sort((a, b) =>
      String(a.AvailabilityZoneName).localeCompare(String(b.AvailabilityZoneName)),
    );
    let zones = byAz.map((t) => ({ availabilityZone: t.AvailabilityZoneName ?? '', subnetId: t.SubnetId ?? '' }));
    let subnetCidr: string | undefined;
    const borrowed = config.instanceId ? await describeBorrowed(clients, config.instanceId) : undefined;
    if (borrowed) {
      const problem = zoneProblem(borrowed, fsId, byAz);
      if (problem) throw new PreflightError(problem);
      zones = [{ availabilityZone: borrowed.availabilityZone, subnetId: borrowed.subnetId }];
    }
    const chosenSubnet = config.fileSystem.subnetId;
    if (chosenSubnet) {
      const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [chosenSubnet] })).catch(absentIfNotFound))
        ?.Subnets?.[0];
      if (!subnet)
        throw new PreflightError(
          `Subnet ${chosenSubnet} does not exist ${where}. Check subnet-id, or leave it empty to use a mount target's subnet.`,
        );
      const zone = subnet.AvailabilityZone ?? '';
      subnetCidr = subnet.CidrBlock;
      if (!targets.some((t) => t.AvailabilityZoneName === zone)) {
        const list = byAz.map((t) => `${t.AvailabilityZoneName} (${t.SubnetId})`).join(', ');
        throw new PreflightError(
          `Subnet ${chosenSubnet} is in ${zone}, where ${fsId} has no mount target, so the file system's DNS name ` +
            `would not resolve there. Use a subnet in an AZ with a mount target: ${list}, or leave subnet-id empty.`,
        );
      }
      zones = [{ availabilityZone: zone, subnetId: chosenSubnet }];
    }
    // engine lambda launches nothing: the writer function's own network and mount are Lambda's to check at invoke.
    const launches = !borrowed && config.engine !== 'lambda';
    const { instanceTypes, placements, autoSize } = launches
      ? await planPlacements(ec2, config.fileSystem.instanceTypes, zones, fsId, log)
      : { instanceTypes: [], placements: [], autoSize: false };
    const subnetId = borrowed?.subnetId ?? placements[0]?.subnetId ?? zones[0]?.subnetId ?? '';
    const availabilityZone =
      borrowed?.availabilityZone ?? placements[0]?.availabilityZone ?? zones[0]?.availabilityZone ?? '';
    subnetCidr ??= (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0]?.CidrBlock;
    const mountTarget = targets.find((t) => t.AvailabilityZoneName === availabilityZone) ?? byAz[0];
    // The checks below read different things: side by side, a run waits for the slowest, not for the sum.
    const [network, mountGroups] = await allChecks([
      config.engine === 'lambda' ? undefined : checkS3Route(clients, subnetId, log),
      efs
        .send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mountTarget?.MountTargetId }))
        .then((answer) => answer.SecurityGroups ?? []),
    ]);
    const instanceGroups =
      borrowed?.securityGroupIds ??
      (config.fileSystem.securityGroupIds.length > 0 ? config.fileSystem.securityGroupIds : mountGroups);
    const [accessPoint, policyText] = await allChecks([
      checkAccessPoint(efs, fsId, config.fileSystem.accessPointId),
      readFileSystemPolicy(efs, fsId),
      config.engine === 'lambda' ? undefined : checkNfsPath(ec2, mountGroups, instanceGroups, subnetCidr),
      launches ? checkInstanceProfile(clients, config.fileSystem.instanceProfile, log) : undefined,
      checkBucket(clients, config.staging.bucket ?? ''),
    ]);
    const policy = policyFacts(policyText);
    const zoneUsed = (zone: string | undefined) =>
      zone === availabilityZone || placements.some((p) => p.availabilityZone === zone);
    const mount = planMount({
      fileSystemId: fsId,
      region: clients.region,
      mountTargetIp: mountTarget?.IpAddress,
      mountTargetIps: Object.fromEntries(
        targets
          .filter((t) => zoneUsed(t.AvailabilityZoneName) && t.IpAddress)
          .map((t) => [t.AvailabilityZoneName ?? '', t.IpAddress ?? '']),
      ),
      accessPointId: accessPoint?.id,
      policy,
    });
    const launchBlocker =
      launches && network
        ? await checkLaunchNetwork(clients, config, { network, placements, instanceGroups, mount }, log)
        : undefined;
    return {
      subnetId,
      availabilityZone,
      securityGroupIds: instanceGroups,
      mount,
      accessPointRoot: accessPoint?.root ?? '/',
      ...(accessPoint?.arn && { accessPointArn: accessPoint.arn }),
      ...(accessPoint && { accessPoint }),
      instanceTypes,
      placements,
      ...(borrowed && { borrowed }),
      ...(autoSize && { autoSize }),
      ...(launchBlocker && { launchBlocker }),
    };
  } catch (error) {
    if (error instanceof PreflightError) throw error;
    throw new PreflightError(`Preflight check failed: ${explainAwsError(error)}`);
  }
}

/** Each instance type in each zone with a mount target that offers it, in the order to try (zones.ts). */
async function planPlacements(
  ec2: EC2Client,
  chosen: string[],
  zones: { availabilityZone: string; subnetId: string }[],
  fsId: string,
  log: (line: string) => void,
): Promise<{ instanceTypes: Preflight['instanceTypes']; placements: Placement[]; autoSize: boolean }> {
  // auto: every type of the table is an arm64 Graviton; DescribeInstanceTypes would refuse the whole list in a
  // region that lacks one of them, while the offerings simply leave it out.
  const autoSize = chosen.length === 0;
  const types = autoSize ? autoTypes() : chosen;
  const instanceTypes = autoSize
    ? types.map((type) => ({ type, architecture: 'arm64' as const, vcpus: sizeOf(type)?.vcpus }))
    : await checkInstanceTypes(ec2, types);
  const offerings = await readOfferings(ec2, types, log);
  const placements = orderPlacements(zones, instanceTypes, offerings, fsId);
  if (!autoSize) log(describePlacements(zones, placements, types));
  return { instanceTypes, placements, autoSize };
}

/**
 * What a launched instance needs of each subnet it may launch in: SSM (ssm-reach.ts) and, when the mount needs the
 * EFS mount helper, Amazon Linux's package repositories (repo-route.ts). A borrowed instance is the user's own and
 * is not checked. With keep-warm the failure is returned, not thrown: a warm instance reused needs neither.
 */
async function checkLaunchNetwork(
  clients: AwsClients,
  config: Config,
  run: {
    network: Awaited<ReturnType<typeof checkS3Route>>;
    placements: Placement[];
    instanceGroups: string[];
    mount: MountSpec;
  },
  log: (line: string) => void,
): Promise<string | undefined> {
  const subnets = [...new Set([run.network.subnetId, ...run.placements.map((p) => p.subnetId)])];
  try {
    for (const subnetId of subnets) {
      const network = subnetId === run.network.subnetId ? run.network : await readSubnetNetwork(clients, subnetId);
      await checkSsmReach(clients, network, run.instanceGroups, log);
      if (needsMountHelper(run.mount)) {
        const why = run.mount.accessPointId
          ? `the mount goes through access point ${run.mount.accessPointId}`
          : 'the file system has a policy, so the mount presents the instance role (iam)';
        checkRepoRoute(clients, network, why, log);
      }
    }
    return undefined;
  } catch (error) {
    // A warm instance reused, or the writer function (engine auto), needs none of this: held until a launch needs it.
    const held = (config.keepWarmMinutes ?? 0) > 0 || (config.engine === 'auto' && !!config.fileSystem.writerFunction);
    if (!(error instanceof PreflightError) || !held) throw error;
    const reused =
      config.engine === 'auto' && config.fileSystem.writerFunction ? 'The writer function' : 'A warm instance reused';
    log(`${error.message} ${reused} needs none of this; launching one fails before RunInstances.`);
    return error.message;
  }
}

/**
 * Checks side by side, all of them ended before the first failure (in their order) is thrown: a failed preflight
 * leaves no request of its own in flight after the run has ended.
 */
async function allChecks<T extends readonly unknown[]>(
  checks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(checks);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Only a "not found" answer means absent; a refusal or an outage must reach the user as what it is. */
function absentIfNotFound(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}
