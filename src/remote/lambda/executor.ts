/**
 * The writer-function engine behind the seam (executor.ts): no instance. The function (infra/efsync.yaml, Writer) is
 * read and made ready the moment the executor is opened, so that a Pending or Inactive one gets ready while the job is
 * staged; each job is staged as for an instance and handed to the function in one synchronous invocation
 * (invoke.ts), its log followed from staging, its result taken from the invocation's answer and validated.
 */
import { relay } from '../../core/reporter.js';
import type { TargetPlan } from '../../plan/target-plan.js';
import { AGENT_NAME, agentFile } from '../agent-file.js';
import { type RunContext, throwIfCancelled, timed } from '../context.js';
import type { ExecutedOn, Execution, Executor } from '../executor.js';
import { AGENT_CONCURRENCY, bytesToMove, type JobAction, scratchBytes } from '../job.js';
import { LogTail } from '../log-tail.js';
import { logTail, RemoteError, settle } from '../outcome.js';
import { describeAccessPoint } from '../preflight/access-point.js';
import type { Preflight } from '../preflight/preflight.js';
import { type AgentResult, type PlaceSpec, parseAgentResult, type VerifyImportsJob } from '../protocol.js';
import { maskPresigned, presignGet } from '../stage/presign.js';
import { readRunObject } from '../stage/run-objects.js';
import { stageRun } from '../stage-run.js';
import { awaitFirstDelivery, isDuplicate } from './duplicate.js';
import { accessPointIdOf, FunctionUnsuited, type JobSize, judgeFit, placeFor } from './fit.js';
import { importsToVerify } from './imports.js';
import { invokeWriter, type WriterAnswer, type WriterEvent } from './invoke.js';
import { describeFunction, readFunction, readyFunction, type WriterFunction } from './ready.js';

/** Opens the executor of the writer function `functionName`. */
export function openFunction(functionName: string) {
  return (ctx: RunContext, checked: Preflight): Executor => {
    const { lambda, efs } = ctx.clients;
    // Its configuration is read now; getting it ready (waking an Inactive one) goes on while the job is staged.
    const found = readFunction(lambda, functionName);
    const ready = found.then((first) => readyFunction(lambda, functionName, first, (line) => ctx.reporter.info(line)));
    const mount = found.then(async (first) => {
      const writer = describeFunction(first);
      const mounted = writer.accessPointArn
        ? await describeAccessPoint(efs, accessPointIdOf(writer.accessPointArn))
        : undefined;
      const run = { fileSystemId: ctx.config.fileSystem.id, accessPoint: checked.accessPoint };
      return { writer, place: placeFor(writer, mounted, run) };
    });
    for (const pending of [ready, mount]) pending.catch(() => undefined);
    return {
      execute: async ({ action, plans }) => {
        const { writer, place } = await mount;
        const engine = ctx.config.engine === 'lambda' ? 'lambda' : 'auto';
        const fit = judgeFit(writer, jobSize(plans, action), engine);
        if (fit.unsuited)
          throw new FunctionUnsuited(`the job does not fit the writer function ${writer.name}: ${fit.unsuited}`);
        ctx.reporter.info(fit.line);
        const log = (line: string) => ctx.reporter.info(line);
        const verifyImports = await importsToVerify(ctx.config, plans, action, Promise.resolve(writer), log);
        return executeOnFunction(ctx, checked, plans, action, { place, verifyImports }, ready);
      },
      async finish(): Promise<ExecutedOn> {
        return { engine: 'lambda', functionName: (await ready).name };
      },
    };
  };
}

/** What the job moves, as the fit reckons it (fit.ts). */
function jobSize(plans: TargetPlan[], action: JobAction): JobSize {
  const files = action === 'sync' ? plans.flatMap((p) => p.files) : [];
  return {
    bytes: bytesToMove(plans, action),
    filesWritten: files.filter((f) => f.changed).length,
    filesLinked: files.filter((f) => !f.changed).length,
    largestPart: scratchBytes(plans, action, 1),
  };
}

async function executeOnFunction(
  ctx: RunContext,
  checked: Preflight,
  plans: TargetPlan[],
  action: JobAction,
  /** Where it writes (fit.ts placeFor), and whether it imports the new dependency release first (imports.ts). */
  job: { place: PlaceSpec | undefined; verifyImports: VerifyImportsJob | undefined },
  ready: Promise<WriterFunction>,
): Promise<Execution> {
  const { place, verifyImports } = job;
  // The agent in the function sizes its own concurrency by its memory and /tmp (agent/efsync_agent/capacity.py).
  const staged = await timed(ctx.stats, 'stage', () =>
    stageRun(ctx, { mount: checked.mount, concurrency: AGENT_CONCURRENCY, place, verifyImports }, plans, action),
  );
  const writer = await timed(ctx.stats, 'instance', () => ready);
  throwIfCancelled(ctx.hooks);
  const { s3 } = ctx.clients;
  const { bucket, runPrefix } = ctx;
  // Presigned for as long as the invocation may last, and a minute more.
  const get = async (key: string) => {
    const url = await presignGet(s3, bucket, key, writer.timeoutSeconds + 60);
    maskPresigned(ctx.reporter, url);
    return url;
  };
  const event: WriterEvent = {
    efsync: 1,
    runId: ctx.runId,
    job: { url: await get(staged.job.key), sha256: staged.job.sha256 },
    agent: { url: await get(`${runPrefix}${AGENT_NAME}`), sha256: agentFile().sha256 },
  };
  const live = new LogTail(
    () => readRunObject(s3, bucket, `${runPrefix}agent.log`),
    (lines) => relay(ctx.reporter, lines),
  );
  ctx.reporter.info(`Invoking the writer function ${writer.name}; the agent's output follows.`);
  const following = live.follow();
  let answer: WriterAnswer;
  try {
    answer = await timed(ctx.stats, 'remote', async () => {
      const invokedAt = Date.now();
      const answered = await invokeWriter(ctx.clients.lambda, writer.name, event, writer.timeoutSeconds);
      if (isDuplicate(answered)) {
        ctx.reporter.info(
          `The writer function ${writer.name} got this job twice (the invocation was tried again); the first ` +
            'delivery carries it out: waiting for its result.',
        );
        const result = async () => (await readRunObject(s3, bucket, `${runPrefix}result.json`)) !== undefined;
        await awaitFirstDelivery(result, invokedAt + (writer.timeoutSeconds + 10) * 1000, () =>
          throwIfCancelled(ctx.hooks),
        );
      }
      return answered;
    });
  } finally {
    await following.stop();
  }
  await live.poll(true);
  const log = live.text ?? '';
  const expected = { runId: ctx.runId, jobSha256: staged.job.sha256 };
  const result = await resultOf(answer, expected, writer, log, () =>
    readRunObject(s3, bucket, `${runPrefix}result.json`),
  );
  return {
    result: settle(result, log, (error) => `The agent failed in the writer function ${writer.name}: ${error}`),
    releaseIds: staged.releaseIds,
    bytesUploaded: staged.bytesUploaded,
  };
}

/**
 * The agent's result from the invocation's answer: the function's own answer comes from Lambda, not from the staging
 * bucket, so it is what counts. A duplicate delivery (the SDK retried a broken connection) answers that the first one
 * owns the job: its result is read from staging once it is there.
 */
export async function resultOf(
  answer: WriterAnswer,
  expected: { runId: string; jobSha256: string },
  writer: Pick<WriterFunction, 'name' | 'timeoutSeconds'>,
  log: string,
  readResult: () => Promise<string | undefined>,
): Promise<AgentResult> {
  if (answer.kind === 'raised') {
    if (answer.timedOut)
      throw new RemoteError(
        `The writer function ${writer.name} was stopped at its timeout of ${writer.timeoutSeconds} s before the job ` +
          'ended. The releases it serves are as they were, and its lock is freed by its lease. Use engine: instance ' +
          `for a job this long.\n${logTail(log)}`,
      );
    throw new RemoteError(
      `The writer function ${writer.name} raised ${answer.errorType}. Its message: ${answer.message}\n${logTail(log)}`,
    );
  }
  if (isDuplicate(answer)) {
    const text = await readResult();
    if (!text)
      throw new RemoteError(
        `The writer function ${writer.name} got this job twice, and the first delivery has written no result.`,
      );
    return parseAgentResult(text, expected);
  }
  return parseAgentResult(answer.payload, expected);
}
