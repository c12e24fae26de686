/**
 * The short-lived instance: launched with the subnet and groups from preflight, IMDSv2 only, tagged, terminating
 * itself at the run's deadline (user data arms `shutdown -P +N` and keeps it across reboots, switch.ts; shutdown means
 * terminate); waited for until it
 * runs and until SSM has it Online; terminated idempotently.
 */
import {
  type _InstanceType,
  paginateDescribeInstances,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { explainAwsError, isNotFound } from '../../aws/errors.js';
import { allPages, DESCRIBE_PAGE } from '../../aws/pages.js';
import { delay } from '../../core/async.js';
import { EfsyncError, errorMessage } from '../../core/errors.js';
import type { Preflight } from '../preflight/preflight.js';
import type { Placement } from '../preflight/zones.js';
import { LIMITS, type LimitRefusal, limitAdvice, MOVES, Skips } from './launch-refusals.js';
import { AL2023_ROOT, imageRoot, type RootDevice, rootVolume } from './root-volume.js';
import { instanceStatus } from './state-reason.js';
import { userData } from './switch.js';
import { EXPIRES_AT, FILE_SYSTEM_TAG, MANAGED_BY, REPOSITORY_TAG, ROOT_GIB, RUN_ID_TAG, STACK_TAG } from './tags.js';

export class InstanceError extends EfsyncError {}

/**
 * What the run launches, sized from its plan (sizing.ts): preflight's checked types and places narrowed to the bytes
 * it moves, and the agent's concurrency on them. Preflight's own facts stay in Preflight.
 */
export interface LaunchPlan {
  /** The types to try, in order, with their architectures (and vCPUs where known). */
  instanceTypes: Preflight['instanceTypes'];
  /** Where to launch, in order; without them, each type in preflight's subnet. */
  placements?: Placement[];
  /** Parallel downloads and writes on the launched instance. */
  concurrency: number;
  /**
   * The types a warm instance may be of to serve this run (warm.ts): with `auto`, the chosen size and every larger one
   * (a smaller one would move the bytes slower than the sizing allows); else the listed types.
   */
  reuseTypes: { type: string; architecture: string }[];
}

export interface LaunchRequest {
  runId: string;
  /** The stack whose role launches it: the STACK_TAG value. */
  stack: string;
  fileSystemId: string;
  instanceProfile: string;
  timeoutMinutes: number;
  /** What preflight checked: the subnet and groups the instance is launched with. */
  checked: Preflight;
  /** The types to try and where, as the run's sizing narrowed them; unsized, preflight's own. */
  launch?: Pick<LaunchPlan, 'instanceTypes' | 'placements'>;
  /** Bytes of staged parts the agent keeps on the instance's disk at once (root-volume.ts). */
  scratchBytes?: number;
}

/**
 * RunInstances just after the instance profile (or its role) was created refuses it until IAM's change has
 * propagated: "Invalid IAM Instance Profile name" ("IAM ... changes are eventually consistent", IAM User Guide,
 * Troubleshooting IAM). Retried for up to PROPAGATION_SECONDS.
 */
const PROFILE_NOT_YET = /Invalid IAM Instance Profile/i;
const PROPAGATION_SECONDS = 120;
const PROPAGATION_PAUSE_MS = 5000;

/** The tags every instance gets; `expires-at` is what `mode: sweep` reads. */
export function instanceTags(request: LaunchRequest, now: Date): { Key: string; Value: string }[] {
  const expires = new Date(now.getTime() + request.timeoutMinutes * 60_000);
  return [
    { ...MANAGED_BY },
    { Key: STACK_TAG, Value: request.stack },
    { Key: 'Name', Value: `efsync ${request.runId}` },
    { Key: RUN_ID_TAG, Value: request.runId },
    { Key: REPOSITORY_TAG, Value: process.env.GITHUB_REPOSITORY ?? 'local' },
    { Key: FILE_SYSTEM_TAG, Value: request.fileSystemId },
    { Key: EXPIRES_AT, Value: expires.toISOString() },
  ];
}

export function launchInput(
  request: LaunchRequest,
  imageId: string,
  type: string,
  now: Date,
  root: RootDevice = AL2023_ROOT,
  subnetId: string = request.checked.subnetId,
): RunInstancesCommandInput {
  const profile = request.instanceProfile;
  const tags = instanceTags(request, now);
  const volume = rootVolume(root, request.scratchBytes ?? 0);
  return {
    ImageId: imageId,
    InstanceType: type as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: subnetId,
    SecurityGroupIds: request.checked.securityGroupIds,
    IamInstanceProfile: profile.startsWith('arn:') ? { Arn: profile } : { Name: profile },
    // IMDSv2 only, as EC2 recommends ("Use IMDSv2", EC2 User Guide; Security Hub control EC2.8): whatever the account's
    // or the image's default, a request without a session token is refused. The agent asks for its zone with one.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    InstanceInitiatedShutdownBehavior: 'terminate',
    // The same token on a retried call returns the same instance instead of a second one.
    ClientToken: `efsync-${request.runId}-${type}${subnetId === request.checked.subnetId ? '' : `-${subnetId}`}`.slice(
      0,
      64,
    ),
    // The dead-man switch: whatever happens to the runner, the instance powers off (and so terminates) in time, also
    // after a reboot (switch.ts).
    UserData: Buffer.from(userData(request.timeoutMinutes)).toString('base64'),
    BlockDeviceMappings: [volume],
    TagSpecifications: [
      // The root volume's size, for a later run deciding whether this instance fits it (warm.ts, ROOT_GIB).
      { ResourceType: 'instance', Tags: [...tags, { Key: ROOT_GIB, Value: String(volume.Ebs?.VolumeSize ?? 0) }] },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** The places to try, in order: the placements, or each instance type in preflight's subnet. */
export function placementsOf(
  preflight: Preflight,
  launch: Pick<LaunchPlan, 'instanceTypes' | 'placements'> = preflight,
): Placement[] {
  return (
    launch.placements ??
    launch.instanceTypes.map((t) => ({
      ...t,
      availabilityZone: preflight.availabilityZone,
      subnetId: preflight.subnetId,
    }))
  );
}

/**
 * Launches one instance, reporting the id at once. A refusal about capacity or limits moves on as launch-refusals.ts
 * explains: to the next zone (its mount target's subnet, the same security groups), the next instance type, or a
 * type with fewer vCPUs; each move is logged. When every place was refused and limits were among the answers, the
 * error names the quota to raise.
 */
export async function launchInstance(
  clients: AwsClients,
  request: LaunchRequest,
  onLaunched: (id: string) => void,
  log: (line: string) => void,
  sleep = delay,
): Promise<string> {
  const { ec2, ssm } = clients;
  let lastError: unknown;
  const tried: string[] = [];
  const images = new Map<string, { image: string; root: RootDevice }>();
  const vcpusOf = new Map((request.launch ?? request.checked).instanceTypes.map((t) => [t.type, t.vcpus]));
  const skip = new Skips();
  const limits: LimitRefusal[] = [];
  let placesRefused = false;
  for (const { type, architecture, availabilityZone, subnetId } of placementsOf(request.checked, request.launch)) {
    const vcpus = vcpusOf.get(type);
    const why = skip.reason(type, vcpus, subnetId);
    if (why) {
      log(`Not trying ${type} in ${availabilityZone} (${subnetId}): ${why}`);
      continue;
    }
    let found = images.get(architecture);
    if (!found) {
      const parameter = `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
      const image = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value ?? '';
      found = { image, root: await imageRoot(ec2, image, log) };
      images.set(architecture, found);
    }
    const { image, root } = found;
    log(`Launching ${type} (${architecture}, ${image}) in ${availabilityZone} (${subnetId})`);
    try {
      const run = await runWhenProfileUsable(
        () => ec2.send(new RunInstancesCommand(launchInput(request, image, type, new Date(), root, subnetId))),
        log,
        sleep,
      );
      const id = run.Instances?.[0]?.InstanceId;
      if (!id) throw new InstanceError('RunInstances returned no instance');
      onLaunched(id);
      return id;
    } catch (error) {
      lastError = error;
      const name = (error as Error).name;
      const move = MOVES[name];
      if (!move) break;
      tried.push(`${type} in ${availabilityZone}: ${name}`);
      if (LIMITS.has(name)) limits.push({ type, code: name, message: errorMessage(error), vcpus });
      else placesRefused = true;
      log(skip.add(move, name, { type, vcpus, availabilityZone, subnetId }));
    }
  }
  const summary = tried.length > 1 ? ` (tried ${tried.join('; ')})` : '';
  if (limits.length > 0 && MOVES[(lastError as Error | undefined)?.name ?? ''])
    throw new InstanceError(
      `Could not launch an instance: every instance type was refused by the account's limits. ` +
        `${placesRefused ? 'Some places were refused for capacity in their zones before. ' : ''}` +
        `${limitAdvice(limits, (clients as { region?: string }).region)}${summary}`,
    );
  throw new InstanceError(`Could not launch an instance: ${explainAwsError(lastError)}${summary}`);
}

/** RunInstances, tried again while IAM has not propagated the instance profile yet. */
async function runWhenProfileUsable<T>(
  launch: () => Promise<T>,
  log: (line: string) => void,
  sleep: (ms: number) => Promise<void>,
): Promise<T> {
  const deadline = Date.now() + PROPAGATION_SECONDS * 1000;
  for (;;) {
    try {
      return await launch();
    } catch (error) {
      const name = (error as Error).name;
      if (!/InvalidParameterValue/.test(name) || !PROFILE_NOT_YET.test(errorMessage(error)) || Date.now() > deadline)
        throw error;
      log(
        `EC2 cannot use the instance profile yet (${name}): IAM changes take a little while to reach EC2; trying ` +
          `again in ${PROPAGATION_PAUSE_MS / 1000} s, for up to ${PROPAGATION_SECONDS} s`,
      );
      await sleep(PROPAGATION_PAUSE_MS);
    }
  }
}

/**
 * Terminates the instance unless it is already gone; returns whether a termination was requested. An instance that
 * DescribeInstances does not show is terminated by id all the same: EC2's API is eventually consistent, and a just
 * launched instance may not be listed yet ("Eventual consistency in the Amazon EC2 API", EC2 API reference).
 */
export async function terminateInstance(clients: AwsClients, instanceId: string): Promise<boolean> {
  const { state } = await instanceStatus(clients.ec2, instanceId);
  if (state === 'terminated' || state === 'shutting-down') return false;
  try {
    await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    if (state === 'absent' && isNotFound(error)) return false;
    throw error;
  }
  return true;
}

/**
 * Terminates every instance tagged with this run's id that is not already gone: it also catches one whose
 * RunInstances answer never arrived (a cancellation in flight), so no instance outlives its run; but `keep`, the
 * instance the run left warm.
 */
export async function terminateRunInstances(clients: AwsClients, runId: string, keep?: string): Promise<string[]> {
  const { ec2 } = clients;
  const found = await allPages(
    paginateDescribeInstances(
      { client: ec2, pageSize: DESCRIBE_PAGE },
      {
        Filters: [
          { Name: `tag:${RUN_ID_TAG}`, Values: [runId] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
      },
    ),
    (page) => (page.Reservations ?? []).flatMap((r) => r.Instances ?? []),
  );
  const ids = found.flatMap((i) => (i.InstanceId && i.InstanceId !== keep ? [i.InstanceId] : []));
  if (ids.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  return ids;
}
