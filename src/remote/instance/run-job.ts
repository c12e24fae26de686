/**
 * Carries out a job on the run's instance: stages the changed bytes and the job, runs the agent on the instance, and
 * reads its result back from staging (so the 24,000-character SSM output cap never hides it). A warm instance that
 * vanished before the command reached it is replaced once, here.
 */

import { relay } from '../../core/reporter.js';
import type { TargetPlan } from '../../plan/target-plan.js';
import { forget, type RunContext, remember, throwIfCancelled, timed } from '../context.js';
import type { Execution } from '../executor.js';
import type { JobAction } from '../job.js';
import { LogTail } from '../log-tail.js';
import { logTail, RemoteError, settle } from '../outcome.js';
import type { Preflight } from '../preflight/preflight.js';
import { AGENT_EXIT, type AgentResult, parseAgentResult } from '../protocol.js';
import { maskPresigned, presignGet } from '../stage/presign.js';
import { readRunObject } from '../stage/run-objects.js';
import { type StagedRun, stageRun } from '../stage-run.js';
import type { InstanceSession } from './session.js';
import { InstanceVanished, JOB_URL_SECONDS, type RemoteOutcome, runRemote } from './ssm.js';

export async function executeOnInstance(
  ctx: RunContext,
  preflight: Preflight,
  plans: TargetPlan[],
  instance: InstanceSession,
  action: JobAction,
): Promise<Execution> {
  // The job carries the agent's concurrency, which the instance's type decides: a reused one's, else the launch's.
  const staged = await timed(ctx.stats, 'stage', async () =>
    stageRun(ctx, { mount: preflight.mount, concurrency: await instance.concurrency() }, plans, action),
  );
  let instanceId = await timed(ctx.stats, 'instance', () => instance.start());
  throwIfCancelled(ctx.hooks);
  let result: AgentResult;
  try {
    instance.beforeSend();
    result = await timed(ctx.stats, 'remote', () => runAgent(ctx, instanceId, staged, instance));
  } catch (error) {
    if (!(error instanceof InstanceVanished)) throw error;
    instanceId = await timed(ctx.stats, 'instance', () => instance.relaunch(error.message));
    throwIfCancelled(ctx.hooks);
    result = await timed(ctx.stats, 'remote', () => runAgent(ctx, instanceId, staged, instance));
  }
  // The command ended Success (exit 0): on an instance that stays, its dead-man switch was re-armed.
  return { result, releaseIds: staged.releaseIds, bytesUploaded: staged.bytesUploaded };
}

async function runAgent(
  ctx: RunContext,
  instanceId: string,
  staged: StagedRun,
  instance: InstanceSession,
): Promise<AgentResult> {
  const { s3 } = ctx.clients;
  const { bucket, runPrefix } = ctx;
  const readLog = () => readRunObject(s3, bucket, `${runPrefix}agent.log`);
  const live = new LogTail(readLog, (lines) => relay(ctx.reporter, lines));
  const following = live.follow();
  let outcome: RemoteOutcome;
  try {
    outcome = await runRemote(ctx.clients, {
      instanceId,
      runId: ctx.runId,
      jobUrl: async () => {
        const url = await presignGet(s3, staged.job.bucket, staged.job.key, JOB_URL_SECONDS);
        maskPresigned(ctx.reporter, url);
        return url;
      },
      jobSha256: staged.job.sha256,
      ...optional('staying', instance.staying()),
      ...optional('vanishAfterMs', instance.vanishAfterMs()),
      executionTimeoutSeconds: Math.max(60, Math.floor((ctx.deadline - Date.now()) / 1000)),
      log: (line) => ctx.reporter.info(line),
      onCommandId: (id) => {
        remember(ctx, 'commandId', id);
        ctx.reporter.info(`Sent command ${id} to ${instanceId}; the agent's output follows.`);
      },
    });
  } finally {
    await following.stop();
  }
  // The command has ended: there is nothing left to cancel.
  forget(ctx, 'commandId');
  // The rest of the log, as the agent uploaded it last; without one, what the command itself printed (the bootstrap).
  await live.poll(true);
  if (live.text === undefined) relay(ctx.reporter, outcome.stdout.split('\n').filter(Boolean));
  const agentLog = (fallback: string) => live.text ?? fallback;
  const text =
    (await readRunObject(s3, bucket, `${runPrefix}result.json`)) ?? /^EFSYNC_RESULT (.+)$/m.exec(outcome.stdout)?.[1];
  if (!text) {
    const log = agentLog(`${outcome.stdout}\n${outcome.stderr}`);
    throw new RemoteError(
      `The agent ended with ${outcome.status} (exit ${outcome.responseCode}) and no result.\n${logTail(log)}`,
    );
  }
  const result = parseAgentResult(text, { runId: ctx.runId, jobSha256: staged.job.sha256 });
  const disagreement = commandDisagrees(result, outcome);
  if (disagreement) throw new RemoteError(`${disagreement}\n${logTail(agentLog(outcome.stdout))}`);
  return settle(
    result,
    agentLog(outcome.stdout),
    (error) => `The agent failed (exit ${outcome.responseCode}): ${error}`,
  );
}

/**
 * A result counts only when SSM agrees with it: "ok" needs the command Success with exit 0, a base mismatch the
 * agent's own exit code for it. Anything that can write the staging prefix can write a result.json, but only the
 * agent that ran the command sets its status and exit code (GetCommandInvocation's Status and ResponseCode).
 */
export function commandDisagrees(
  result: AgentResult,
  outcome: Pick<RemoteOutcome, 'status' | 'responseCode'>,
): string | undefined {
  const expected =
    result.status === 'ok'
      ? { status: 'Success', code: AGENT_EXIT.ok }
      : result.status === 'base-mismatch'
        ? { status: 'Failed', code: AGENT_EXIT.baseMismatch }
        : undefined;
  if (!expected || (outcome.status === expected.status && outcome.responseCode === expected.code)) return undefined;
  return (
    `The agent's result says ${result.status}, but SSM reports the command ${outcome.status} with exit code ` +
    `${outcome.responseCode}, where the agent's own ${result.status} ends ${expected.status} with exit ${expected.code}. ` +
    "Nothing is recorded as published. If the log shows no agent at work, something other than this run's agent wrote " +
    'result.json in the staging bucket: check who can write there.'
  );
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}
