/**
 * Warm instances (keep-warm): an instance efsync launched stays running after a successful publish, tagged
 * `efsync:warm-until`, its dead-man switch re-armed to fire just after that time. A later run of the same stack for the
 * same file system finds one by its tags (another stack's instances are never considered: its role cannot reach them) and reuses it when it matches what the run would launch. The choice is a pure function
 * (chooseWarm); the rest reads and writes tags.
 */
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  type Instance,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, paginateDescribeInstanceInformation } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { allPages, chunks, DESCRIBE_PAGE } from '../../aws/pages.js';
import { imageRoot, type RootDevice, rootVolumeGiB } from './root-volume.js';
import { EXPIRES_AT, FILE_SYSTEM_TAG, LAST_RUN, ROOT_GIB, STACK_TAG, stackFilters, WARM_UNTIL } from './tags.js';

/** An instance whose image is no longer the current one is still reused while it is younger than this. */
export const IMAGE_GRACE_MS = 24 * 3600 * 1000;

/** What a warm instance must match: where and how the run would launch one. */
export interface WarmWant {
  /** The stack whose role the run uses (the `efsync:stack` tag). */
  stack: string;
  fileSystemId: string;
  /** The subnets the run may launch in (preflight's placements). */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Name or ARN, as the input gives it. */
  instanceProfile: string;
  /** The architectures of the run's instance types. */
  architectures: string[];
  /** The current Amazon Linux image of each architecture. */
  currentImages: Record<string, string>;
  /**
   * The instance types this run's sizing accepts (the chosen size and the larger ones with `auto`, else the listed
   * types), each with the root volume (GiB) this run would launch it with: its scratch follows the type's concurrency.
   */
  rootGiB: Record<string, number>;
}

export interface WarmCandidate {
  id: string;
  stack: string;
  fileSystemId: string;
  subnetId: string;
  securityGroupIds: string[];
  instanceProfileArn: string;
  architecture: string;
  instanceType: string;
  /** From the ROOT_GIB tag; undefined when the instance has none. */
  rootGiB: number | undefined;
  imageId: string;
  launchTime: number;
  warmUntil: number;
  online: boolean;
}

/** Why a candidate is not taken, or undefined when it is. */
export function warmMismatch(c: WarmCandidate, want: WarmWant, now: number): string | undefined {
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  if (c.stack !== want.stack) return 'another stack';
  if (c.fileSystemId !== want.fileSystemId) return 'another file system';
  if (!(c.warmUntil > now)) return 'warm-until has passed';
  if (!want.subnetIds.includes(c.subnetId)) return `subnet ${c.subnetId} is not one the run launches in`;
  if (!same(c.securityGroupIds, want.securityGroupIds)) return 'other security groups';
  if (!profileMatches(c.instanceProfileArn, want.instanceProfile)) return 'another instance profile';
  if (!want.architectures.includes(c.architecture)) return `architecture ${c.architecture}`;
  const needs = want.rootGiB[c.instanceType];
  if (needs === undefined)
    return `type ${c.instanceType} does not fit this run's sizing (it takes ${Object.keys(want.rootGiB).join(', ')})`;
  if (c.rootGiB === undefined) return `its root volume's size is not known (no ${ROOT_GIB} tag)`;
  if (c.rootGiB < needs)
    return `its root volume (${c.rootGiB} GiB) is smaller than this run needs on ${c.instanceType} (${needs} GiB)`;
  if (c.imageId !== want.currentImages[c.architecture] && now - c.launchTime >= IMAGE_GRACE_MS)
    return 'its image is no longer the current one and it is over a day old';
  if (!c.online) return 'SSM does not have it Online';
  return undefined;
}

/** The warm instance to reuse: of those that match, the one warm the longest. */
export function chooseWarm(candidates: WarmCandidate[], want: WarmWant, now: number): WarmCandidate | undefined {
  return candidates
    .filter((c) => warmMismatch(c, want, now) === undefined)
    .sort((a, b) => b.warmUntil - a.warmUntil || a.id.localeCompare(b.id))[0];
}

function profileMatches(arn: string, wanted: string): boolean {
  if (wanted.startsWith('arn:')) return arn === wanted;
  return arn.split('/').pop() === wanted;
}

const tag = (instance: Instance, key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;

/** Running efsync instances of the stack and file system that carry warm-until, as candidates (SSM's view included). */
export async function warmCandidates(
  clients: AwsClients,
  stack: string,
  fileSystemId: string,
): Promise<WarmCandidate[]> {
  const { ec2, ssm } = clients;
  const instances = await allPages(
    paginateDescribeInstances(
      { client: ec2, pageSize: DESCRIBE_PAGE },
      {
        Filters: [
          ...stackFilters(stack),
          { Name: `tag:${FILE_SYSTEM_TAG}`, Values: [fileSystemId] },
          { Name: 'tag-key', Values: [WARM_UNTIL] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
    ),
    (page) => (page.Reservations ?? []).flatMap((r): Instance[] => r.Instances ?? []),
  );
  const ids = instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  if (ids.length === 0) return [];
  const online = new Set<string>();
  // SSM pages this answer (10 nodes by default) and takes at most 100 values in a filter
  // (InstanceInformationFilterValueSet, botocore's ssm service-2.json).
  for (const some of chunks(ids, 100)) {
    const infos = await allPages(
      paginateDescribeInstanceInformation({ client: ssm }, { Filters: [{ Key: 'InstanceIds', Values: some }] }),
      (page) => page.InstanceInformationList,
    );
    for (const i of infos) if (i.InstanceId && i.PingStatus === 'Online') online.add(i.InstanceId);
  }
  return instances.map((i) => ({
    id: i.InstanceId ?? '',
    stack: tag(i, STACK_TAG) ?? '',
    fileSystemId: tag(i, FILE_SYSTEM_TAG) ?? '',
    subnetId: i.SubnetId ?? '',
    securityGroupIds: (i.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    instanceProfileArn: i.IamInstanceProfile?.Arn ?? '',
    architecture: i.Architecture ?? '',
    instanceType: i.InstanceType ?? '',
    rootGiB: wholeOrUndefined(tag(i, ROOT_GIB)),
    imageId: i.ImageId ?? '',
    launchTime: i.LaunchTime?.getTime() ?? 0,
    warmUntil: Date.parse(tag(i, WARM_UNTIL) ?? '') || 0,
    online: online.has(i.InstanceId ?? ''),
  }));
}

function wholeOrUndefined(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The current Amazon Linux 2023 image of each architecture (the parameters a launch reads). */
export async function currentImages(clients: AwsClients, architectures: string[]): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const architecture of new Set(architectures)) {
    const name = `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
    images[architecture] = (await clients.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? '';
  }
  return images;
}

/** What findWarm needs beyond WarmWant's plain fields: the types to accept and the scratch each would need. */
export interface WarmSizing {
  /** The types this run's sizing accepts, with their architectures. */
  types: { type: string; architecture: string }[];
  /** The bytes the agent keeps on the instance's disk at once on a type (its concurrency decides). */
  scratchBytes: (type: string) => number;
}

/**
 * The root volume each accepted type would be launched with for this run: the current image's root plus the scratch
 * on that type (root-volume.ts), as a launch would compute it.
 */
export async function rootGiBByType(
  clients: AwsClients,
  sizing: WarmSizing,
  images: Record<string, string>,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const roots = new Map<string, RootDevice>();
  const sizes: Record<string, number> = {};
  for (const { type, architecture } of sizing.types) {
    let root = roots.get(architecture);
    if (!root) {
      root = await imageRoot(clients.ec2, images[architecture] ?? '', log);
      roots.set(architecture, root);
    }
    sizes[type] = rootVolumeGiB(root, sizing.scratchBytes(type));
  }
  return sizes;
}

/** Finds a warm instance to reuse, logging why each other one is not taken. */
export async function findWarm(
  clients: AwsClients,
  want: Omit<WarmWant, 'currentImages' | 'rootGiB'>,
  sizing: WarmSizing,
  log: (line: string) => void,
  now = Date.now(),
): Promise<WarmCandidate | undefined> {
  const candidates = await warmCandidates(clients, want.stack, want.fileSystemId);
  if (candidates.length === 0) {
    log(`No warm instance of stack ${want.stack} for ${want.fileSystemId}`);
    return undefined;
  }
  const images = await currentImages(clients, want.architectures);
  const full = { ...want, currentImages: images, rootGiB: await rootGiBByType(clients, sizing, images, log) };
  for (const c of candidates) {
    const why = warmMismatch(c, full, now);
    if (why) log(`Warm instance ${c.id} is not reused: ${why}`);
  }
  return chooseWarm(candidates, full, now);
}

/** The later of an ISO time and `ms` (so that two runs sharing an instance never shorten each other's time). */
export function laterOf(iso: string | undefined, ms: number): Date {
  const other = Date.parse(iso ?? '');
  return new Date(Number.isFinite(other) && other > ms ? other : ms);
}

/**
 * Marks the instance warm until `times.warmUntil`, and sets when no run needs it any more (`expires-at`, what the
 * sweep reads); with `runId`, names the run that uses it now. Neither time ever moves earlier than it already was,
 * so that two runs sharing an instance never shorten each other's. Returns the warm-until written.
 */
export async function tagWarm(
  clients: AwsClients,
  instanceId: string,
  times: { warmUntil: number; expiresAt: number },
  runId?: string,
): Promise<Date> {
  const found = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = found.Reservations?.[0]?.Instances?.[0];
  const warm = laterOf(instance ? tag(instance, WARM_UNTIL) : undefined, times.warmUntil);
  const expires = laterOf(instance ? tag(instance, EXPIRES_AT) : undefined, Math.max(times.expiresAt, +warm));
  await clients.ec2.send(
    new CreateTagsCommand({
      Resources: [instanceId],
      Tags: [
        { Key: WARM_UNTIL, Value: warm.toISOString() },
        { Key: EXPIRES_AT, Value: expires.toISOString() },
        ...(runId ? [{ Key: LAST_RUN, Value: runId }] : []),
      ],
    }),
  );
  return warm;
}
