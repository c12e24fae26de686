/**
 * Stages a run: the changed bytes as tar parts, the agent, and the job that names them by presigned URL, all under
 * the run's prefix in the staging bucket. Returns where the bootstrap finds the job and the hash it checks.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mib } from '../core/format.js';
import type { Reporter } from '../core/reporter.js';
import type { TargetPlan } from '../plan/target-plan.js';
import { AGENT_NAME, agentFile } from './agent-file.js';
import { type RunContext, waitsFor } from './context.js';
import { buildJob, filesToStage, type JobAction, newReleaseIds, sourceObjects } from './job.js';
import type { MountSpec, PlaceSpec, VerifyImportsJob } from './protocol.js';
import { uploadJob } from './stage/job-upload.js';
import { stageParts } from './stage/parts.js';
import { maskPresigned, presignGet, presignPut } from './stage/presign.js';

export interface StagedRun {
  /** The job's bucket and key: its URL is presigned only when the command that carries it is sent. */
  job: { bucket: string; key: string; sha256: string };
  /** Release id given to each target's job. */
  releaseIds: Record<string, string>;
  bytesUploaded: number;
}

export async function stageRun(
  ctx: RunContext,
  /**
   * How the agent mounts the file system, how many downloads and writes it runs at once, and, for the writer function
   * only, the place it writes as if through the run's access point (it mounts the file system's root) and whether it
   * imports the new dependency release before the switch.
   */
  onInstance: {
    mount: MountSpec;
    concurrency: number;
    place?: PlaceSpec | undefined;
    verifyImports?: VerifyImportsJob | undefined;
  },
  plans: TargetPlan[],
  action: JobAction,
): Promise<StagedRun> {
  const { s3 } = ctx.clients;
  const { bucket, runPrefix, budgetSeconds: ttl } = ctx;
  const get = (inBucket: string, key: string) => presignGet(s3, inBucket, key, ttl);
  // The URLs that let a holder write the result or swap the agent are masked outright; every URL's session token is
  // masked with the credentials (src/aws/credentials.ts), in its URL-encoded form too.
  const masked = (url: string) => {
    maskPresigned(ctx.reporter, url);
    return url;
  };
  const staged = await stageParts(s3, {
    bucket,
    runPrefix,
    inputs: filesToStage(plans, action),
    onProgress: progress(ctx.reporter),
  });
  const parts = await Promise.all(
    staged.parts.map(async (p) => ({ name: p.name, size: p.size, sha256: p.sha256, url: await get(bucket, p.key) })),
  );
  const objectUrls = new Map<string, string>();
  for (const { bucket: from, key } of sourceObjects(plans, action))
    objectUrls.set(`${from}/${key}`, await get(from, key));
  const agent = agentFile();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${runPrefix}${AGENT_NAME}`, Body: agent.source }));
  const releaseIds = newReleaseIds(plans, action, new Date());
  const job = buildJob({
    runId: ctx.runId,
    fileSystemId: ctx.config.fileSystem.id,
    mount: onInstance.mount,
    place: onInstance.place,
    lockTimeoutSeconds: waitsFor(ttl, ctx.hooks).lockSeconds,
    keepReleases: ctx.config.keepReleases,
    keepReleasesMinutes: ctx.config.keepReleasesMinutes,
    deleteGone: ctx.config.delete,
    action,
    plans,
    releaseIds,
    parts,
    members: staged.members,
    objectUrl: (from, key) => objectUrls.get(`${from}/${key}`) ?? '',
    logUrl: masked(await presignPut(s3, bucket, `${runPrefix}agent.log`, ttl)),
    resultUrl: masked(await presignPut(s3, bucket, `${runPrefix}result.json`, ttl)),
    agent: { url: masked(await get(bucket, `${runPrefix}${AGENT_NAME}`)), sha256: agent.sha256 },
    concurrency: onInstance.concurrency,
    ...(onInstance.verifyImports && { verifyImports: onInstance.verifyImports }),
  });
  // The files go into chunks beside the job, each presigned like the parts: the job itself stays small.
  const uploaded = await uploadJob(s3, {
    bucket,
    key: `${runPrefix}job.json`,
    job,
    chunks: { prefix: `${runPrefix}job/`, url: (key) => get(bucket, key) },
  });
  ctx.reporter.info(
    `Staged ${staged.filesPacked} file(s) in ${staged.parts.length} part(s), ${staged.bytesUploaded} bytes, and the ` +
      `job (${uploaded.chunks} chunk(s) of files).`,
  );
  return {
    job: { bucket, key: `${runPrefix}job.json`, sha256: uploaded.sha256 },
    releaseIds,
    bytesUploaded: staged.bytesUploaded,
  };
}

/** A progress line at most every 5 s: bytes done, total, rate and ETA. */
export function progress(
  reporter: Reporter,
  every = 5000,
  now: () => number = Date.now,
): (done: number, total: number) => void {
  const started = now();
  let last = 0;
  return (done, total) => {
    // Nothing to upload: no progress to tell (the line after staging says what was staged).
    if (total === 0) return;
    const at = now();
    if (at - last < every && done < total) return;
    last = at;
    // Before the first byte there is no rate, and so no time left, to tell.
    if (done === 0) return reporter.info(`Staging: 0.0 of ${mib(total)} MiB, starting`);
    const rate = done / Math.max(0.001, (at - started) / 1000);
    const eta = Math.ceil((total - done) / rate);
    reporter.info(
      `Staging: ${mib(done)} of ${mib(total)} MiB, ${mib(rate)} MiB/s, ${done >= total ? 'done' : `about ${eta} s left`}`,
    );
  };
}
