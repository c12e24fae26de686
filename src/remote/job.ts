/**
 * The job the agent carries out, built from the plans as pure code: which release each target gets, where each of
 * its files comes from (a hard link of the base release, a member of a staged part, or a presigned URL of an
 * S3-source object), and what to delete. The I/O (staging, presigning, uploading) is the caller's.
 */

import { DEFAULT_CONCURRENCY } from '../core/instance-size.js';
import type { TargetPlan } from '../plan/target-plan.js';
import { newReleaseId } from '../plan/tree.js';
import type { JobManifest, PlaceSpec, ReleaseFile, TargetJob } from './protocol.js';
import { partSizes } from './stage/parts.js';

export type JobAction = 'sync' | 'rollback';

/** A staged part's members, by target, then by path. */
export type StagedMembers = Map<string, Map<string, { part: string; member: string }>>;

/** The job as uploaded: the manifest, plus where the bootstrap gets the agent (and the hash it checks). */
export type StagedJob = JobManifest & { agent: { url: string; sha256: string } };

/** What a job is built from: the manifest's settings as they are, and the plans and staged parts it is made of. */
export interface JobInput
  extends Pick<
    JobManifest,
    | 'runId'
    | 'fileSystemId'
    | 'mount'
    | 'lockTimeoutSeconds'
    | 'keepReleases'
    | 'keepReleasesMinutes'
    | 'parts'
    | 'verifyImports'
  > {
  place?: PlaceSpec | undefined;
  /** Files gone from the source are deleted from the new release. */
  deleteGone: boolean;
  action: JobAction;
  plans: TargetPlan[];
  releaseIds: Record<string, string>;
  members: StagedMembers;
  /** The presigned GET of an S3-source object, by bucket and key (see sourceObjects). */
  objectUrl: (bucket: string, key: string) => string;
  logUrl: string;
  resultUrl: string;
  agent: { url: string; sha256: string };
  /** Parallel downloads and writes on the instance (core/instance-size.ts, agentConcurrency); AGENT_CONCURRENCY if unset. */
  concurrency?: number;
}

/** Parallel downloads and writes on the instance, unless the instance's size says more. */
export const AGENT_CONCURRENCY = DEFAULT_CONCURRENCY;

/** The release each target gets: a new id from its tree and the time for a sync, none for a rollback. */
export function newReleaseIds(plans: TargetPlan[], action: JobAction, now: Date): Record<string, string> {
  return Object.fromEntries(plans.map((p) => [p.target, action === 'sync' ? newReleaseId(p.tree, now) : '']));
}

/** Changed files that come from S3 objects (S3 objects carry an ETag; workspace files a sha256). */
function fromS3(plan: TargetPlan, file: { etag?: string }): boolean {
  return plan.s3Source !== undefined && file.etag !== undefined;
}

/** The changed files on the runner, which staging packs into parts, per target. */
export function filesToStage(plans: TargetPlan[], action: JobAction) {
  if (action !== 'sync') return [];
  return plans
    .filter((p) => p.root !== undefined)
    .map((p) => ({ target: p.target, root: p.root ?? '', files: p.files.filter((f) => f.changed && !fromS3(p, f)) }));
}

/**
 * The most bytes of staged parts the agent keeps on the instance's disk at once. It deletes a part as soon as the
 * files taken from it are written, and starts a download only while fewer than `concurrency` parts are on disk
 * (agent/efsync_agent/parts.py, PartStore): so the `concurrency` largest parts, not the sum of all. Reckoned over every
 * file of the targets that staging would pack, changed or not, so that the one re-plan after a base mismatch, which
 * sends every file (run/engine.ts, carryOut), fits on the same instance. S3-source objects go straight to EFS.
 */
export function scratchBytes(plans: TargetPlan[], action: JobAction, concurrency = AGENT_CONCURRENCY): number {
  if (action !== 'sync') return 0;
  const inputs = plans.map((p) => ({ target: p.target, files: p.files.filter((f) => !fromS3(p, f)) }));
  const largest = partSizes(inputs)
    .sort((a, b) => b - a)
    .slice(0, concurrency);
  return largest.reduce((sum, size) => sum + size, 0);
}

/**
 * The bytes the instance takes in for a run: every changed file, from a staged part or straight from the S3 source.
 * What sizes the instance (core/instance-size.ts).
 */
export function bytesToMove(plans: TargetPlan[], action: JobAction): number {
  if (action !== 'sync') return 0;
  return plans.reduce((sum, p) => sum + p.files.reduce((n, f) => n + (f.changed ? f.size : 0), 0), 0);
}

/** The S3-source objects of one plan that the agent downloads: path, key and the listed ETag. */
export function objectsToFetch(plan: TargetPlan): { path: string; key: string; etag: string }[] {
  return plan.files
    .filter((f) => f.changed && fromS3(plan, f))
    .map((f) => ({ path: f.path, key: `${plan.s3Source?.prefix ?? ''}${f.path}`, etag: f.etag ?? '' }));
}

/** The S3-source objects the agent downloads itself, each needing a presigned GET. */
export function sourceObjects(plans: TargetPlan[], action: JobAction): { bucket: string; key: string }[] {
  if (action !== 'sync') return [];
  return plans.flatMap((plan) => objectsToFetch(plan).map(({ key }) => ({ bucket: plan.s3Source?.bucket ?? '', key })));
}

function releaseFiles(input: JobInput, plan: TargetPlan): ReleaseFile[] {
  if (input.action === 'rollback') return [];
  const members = input.members.get(plan.target);
  return plan.files.map(({ changed, ...file }): ReleaseFile => {
    if (!changed) return { ...file, source: { from: 'base' } };
    if (fromS3(plan, file)) {
      const url = input.objectUrl(plan.s3Source?.bucket ?? '', `${plan.s3Source?.prefix ?? ''}${file.path}`);
      const check = plan.objectChecks?.get(file.path);
      if (!check) throw new Error(`${file.path} of ${plan.target} was not inspected`);
      return { ...file, source: { from: 'url', url, ...check } };
    }
    const member = members?.get(file.path);
    if (!member) throw new Error(`${file.path} of ${plan.target} was not staged`);
    return { ...file, source: { from: 'part', ...member } };
  });
}

function targetJob(input: JobInput, plan: TargetPlan): TargetJob {
  return {
    target: plan.target,
    kind: plan.kind,
    action: input.action,
    releaseId: input.releaseIds[plan.target] ?? '',
    baseReleaseId: plan.files.some((f) => !f.changed) ? (plan.previous?.releaseId ?? null) : null,
    dirs: plan.dirs,
    files: releaseFiles(input, plan),
    deleted: input.deleteGone ? plan.changes.delete : [],
  };
}

export function buildJob(input: JobInput): StagedJob {
  return {
    version: 1,
    runId: input.runId,
    fileSystemId: input.fileSystemId,
    mount: input.mount,
    ...(input.place && { place: input.place }),
    lockTimeoutSeconds: input.lockTimeoutSeconds,
    keepReleases: input.keepReleases,
    keepReleasesMinutes: input.keepReleasesMinutes,
    concurrency: input.concurrency ?? AGENT_CONCURRENCY,
    parts: input.parts,
    targets: input.plans.map((plan) => targetJob(input, plan)),
    logUrl: input.logUrl,
    resultUrl: input.resultUrl,
    agent: input.agent,
    ...(input.verifyImports && { verifyImports: input.verifyImports }),
  };
}
