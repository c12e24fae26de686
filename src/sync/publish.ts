/**
 * Publishes planned targets: stages the changed bytes, writes the job, runs the agent on the instance, and reads its
 * result back from staging (so the 24,000-character SSM output cap never hides it).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../aws/client-config.js';
import { tagErrors } from '../aws/errors.js';
import type { PreflightResult } from '../aws/preflight.js';
import { RemoteError, runRemote } from '../aws/remote.js';
import { newReleaseId } from '../plan/tree.js';
import { uploadJob } from '../stage/job.js';
import { stageParts } from '../stage/parts.js';
import { presignGet, presignPut } from '../stage/presign.js';
import { readRunObject } from '../stage/run-objects.js';
import { AGENT_NAME, agentFile } from './agent-file.js';
import type { InstanceSession } from './instance-session.js';
import type { AgentResult, JobManifest, ReleaseFile, TargetJob } from './model.js';
import type { TargetPlan } from './planning.js';
import { type RunContext, timed } from './run-context.js';

export class BaseMismatchError extends Error {
  override name = 'BaseMismatchError';
}

export interface PublishOutcome {
  result: AgentResult;
  /** Release id given to each target's job. */
  releaseIds: Record<string, string>;
  bytesUploaded: number;
}

export async function publish(
  ctx: RunContext,
  preflight: PreflightResult,
  plans: TargetPlan[],
  instance: InstanceSession,
  action: 'sync' | 'rollback',
): Promise<PublishOutcome> {
  const s3 = tagErrors(new S3Client(clientConfig(ctx.aws)), 's3');
  const { bucket, runPrefix, budgetSeconds: ttl } = ctx;
  try {
    const { job, releaseIds, bytesUploaded } = await timed(ctx.stats, 'stage', async () => {
      const staged = await stageParts(s3, {
        bucket,
        runPrefix,
        inputs: plans
          .filter((p) => p.root !== undefined && action === 'sync')
          .map((p) => ({
            target: p.target,
            root: p.root ?? '',
            files: p.files.filter((f) => f.changed && f.etag === undefined),
          })),
        onProgress: progress(ctx),
      });
      const parts = await Promise.all(
        staged.parts.map(async (p) => ({
          name: p.name,
          size: p.size,
          sha256: p.sha256,
          url: await presignGet(s3, bucket, p.key, ttl),
        })),
      );
      const ids: Record<string, string> = {};
      const targets: TargetJob[] = [];
      for (const plan of plans) {
        const releaseId = action === 'sync' ? newReleaseId(plan.tree, new Date()) : '';
        ids[plan.target] = releaseId;
        const members = staged.members.get(plan.target);
        const files: ReleaseFile[] =
          action === 'rollback'
            ? []
            : await Promise.all(
                plan.files.map(async ({ changed, ...file }): Promise<ReleaseFile> => {
                  if (!changed) return { ...file, source: { from: 'base' } };
                  // S3 objects carry an ETag; workspace files (efsync's folder inside an S3 target) a sha256.
                  if (plan.s3Source && file.etag !== undefined) {
                    const key = `${plan.s3Source.prefix}${file.path}`;
                    return {
                      ...file,
                      source: { from: 'url', url: await presignGet(s3, plan.s3Source.bucket, key, ttl) },
                    };
                  }
                  const member = members?.get(file.path);
                  if (!member) throw new Error(`${file.path} of ${plan.target} was not staged`);
                  return { ...file, source: { from: 'part', ...member } };
                }),
              );
        targets.push({
          target: plan.target,
          kind: plan.kind,
          action,
          releaseId,
          baseReleaseId: plan.files.some((f) => !f.changed) ? (plan.previous?.releaseId ?? null) : null,
          dirs: plan.dirs,
          files,
          deleted: ctx.config.delete ? plan.changes.delete : [],
        });
      }
      const agent = agentFile();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${runPrefix}${AGENT_NAME}`, Body: agent.source }));
      const manifest: JobManifest & { agent: { url: string; sha256: string } } = {
        version: 1,
        runId: ctx.runId,
        fileSystemId: ctx.config.fileSystem.id,
        mount: preflight.mount,
        lockTimeoutSeconds: Math.min(900, Math.max(30, Math.floor(ttl / 10))),
        keepReleases: ctx.config.keepReleases,
        concurrency: 16,
        parts,
        targets,
        logUrl: await presignPut(s3, bucket, `${runPrefix}agent.log`, ttl),
        resultUrl: await presignPut(s3, bucket, `${runPrefix}result.json`, ttl),
        agent: { url: await presignGet(s3, bucket, `${runPrefix}${AGENT_NAME}`, ttl), sha256: agent.sha256 },
      };
      const uploaded = await uploadJob(s3, { bucket, key: `${runPrefix}job.json`, job: manifest });
      ctx.reporter.info(
        `Staged ${staged.filesPacked} file(s) in ${staged.parts.length} part(s), ${staged.bytesUploaded} bytes, and the job.`,
      );
      return {
        job: { sha256: uploaded.sha256, url: await presignGet(s3, bucket, `${runPrefix}job.json`, ttl) },
        releaseIds: ids,
        bytesUploaded: staged.bytesUploaded,
      };
    });

    const instanceId = await timed(ctx.stats, 'instance', () => instance.start());
    const result = await timed(ctx.stats, 'remote', async () => {
      const outcome = await runRemote(ctx.aws, {
        instanceId,
        runId: ctx.runId,
        jobUrl: job.url,
        jobSha256: job.sha256,
        executionTimeoutSeconds: Math.max(60, Math.floor((ctx.deadline - Date.now()) / 1000)),
        onCommandId: (id) => {
          ctx.hooks.saveState?.('commandId', id);
          ctx.reporter.info(`Sent command ${id} to ${instanceId}; the agent's output follows.`);
        },
        onOutput: (text) => {
          for (const line of text.replace(/\n$/, '').split('\n'))
            if (!line.startsWith('EFSYNC_RESULT ')) ctx.reporter.info(line);
        },
      });
      const stored = await readRunObject(s3, bucket, `${runPrefix}result.json`);
      const fromStdout = /^EFSYNC_RESULT (.+)$/m.exec(outcome.stdout)?.[1];
      const text = stored ?? fromStdout;
      if (!text) {
        const log =
          (await readRunObject(s3, bucket, `${runPrefix}agent.log`)) ?? `${outcome.stdout}\n${outcome.stderr}`;
        throw new RemoteError(
          `The agent ended with ${outcome.status} (exit ${outcome.responseCode}) and no result.\n${tail(log)}`,
        );
      }
      const parsed = JSON.parse(text) as AgentResult;
      if (parsed.status === 'base-mismatch') throw new BaseMismatchError(describeMismatch(parsed));
      if (parsed.status !== 'ok') {
        const log = (await readRunObject(s3, bucket, `${runPrefix}agent.log`)) ?? outcome.stdout;
        throw new RemoteError(
          `The agent failed (exit ${outcome.responseCode}): ${parsed.error ?? outcome.status}\n${tail(log)}`,
        );
      }
      return parsed;
    });
    return { result, releaseIds, bytesUploaded };
  } finally {
    s3.destroy();
  }
}

function describeMismatch(result: AgentResult): string {
  const target = result.targets.find((t) => t.status === 'base-mismatch');
  return `${target?.target} serves ${target?.actualReleaseId ?? 'no release'}, not the release the plan was made against`;
}

function tail(log: string, lines = 30): string {
  return `Last lines of the agent's log:\n${log.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

/** A progress line at most every 5 s: bytes done, total, rate and ETA. */
export function progress(ctx: RunContext, every = 5000): (done: number, total: number) => void {
  const started = Date.now();
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < every && done < total) return;
    last = now;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    ctx.reporter.info(
      `Staging: ${mib(done)} of ${mib(total)} MiB, ${mib(rate)} MiB/s, ${done >= total ? 'done' : `about ${eta} s left`}`,
    );
  };
}

const mib = (n: number) => (n / 1048576).toFixed(1);
