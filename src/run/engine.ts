/**
 * The one engine behind the action, the CLI and the API, top-down as a run flows: credentials, preflight, plan,
 * (nothing changed? stop), stage while the instance starts, run the agent, record the new state, report; and the
 * run's teardown whatever happens. The caller supplies a Config, a Reporter and hooks (state, OIDC, cancellation).
 * It leaves the process alone: no signal handlers, no exit; the adapters own those.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { callerAccount, openClients, refuseExpiringCredentials } from '../aws/credentials.js';
import { type PreflightResult, preflight } from '../aws/preflight.js';
import { labelFor } from '../config/inputs.js';
import { targetPaths } from '../config/targets.js';
import type { Config } from '../config/types.js';
import { isValidated, validateConfig } from '../config/validate.js';
import { type Reporter, silentReporter } from '../core/reporter.js';
import { emptyStats, type Stats, type SyncResult } from '../core/result.js';
import { describeCompiler, type Interpreter, resolveCompiler } from '../plan/bytecode.js';
import type { Place } from '../plan/place.js';
import { describeTargetPlan, type TargetPlan } from '../plan/target-plan.js';
import {
  Cleanup,
  forget,
  newRunId,
  RunCancelled,
  type RunContext,
  type RunHooks,
  remember,
  throwIfCancelled,
  timed,
} from '../remote/context.js';
import { BaseMismatchError, type PublishOutcome, publish } from '../remote/execute.js';
import { InstanceSession } from '../remote/instance/session.js';
import { sizeInstance } from '../remote/instance/sizing.js';
import { bytesToMove, scratchBytes } from '../remote/job.js';
import { reportTargets, writeStates } from './finalize.js';
import { describePlan } from './plan-lines.js';
import { planTargets, rollbackPlans } from './plan-targets.js';
import { sweep } from './sweep.js';
import { teardown } from './teardown.js';

/** Runs one configuration. A Config not from loadConfig (built or changed by hand) is validated here first. */
export async function sync(
  config: Config,
  reporter: Reporter = silentReporter,
  hooks: RunHooks = {},
): Promise<SyncResult> {
  if (!isValidated(config))
    for (const warning of validateConfig(config, (name) => labelFor(name, 'option'))) reporter.warning(warning);
  throwIfCancelled(hooks);
  const stats = emptyStats();
  const cleanup = new Cleanup();
  return untilCancelled(hooks, cleanup, reporter, async () => {
    try {
      const compiler = await bytecodeCompiler(config, reporter);
      const clients = await reporter.group('Credentials', () => signIn(config, reporter, hooks));
      cleanup.add('close the AWS clients', async () => clients.destroy());
      if (config.mode === 'sweep') return await sweep(config, clients, reporter, stats);
      return await publishRun(newRun(config, reporter, hooks, clients, cleanup, stats), compiler);
    } finally {
      await timed(stats, 'cleanup', () => cleanup.run((message) => reporter.warning(message)));
    }
  });
}

/** The interpreter that writes the dependencies' .pyc, found (or refused, for compile: true) before any AWS call. */
async function bytecodeCompiler(config: Config, reporter: Reporter): Promise<Interpreter | undefined> {
  if (config.mode !== 'sync' || !config.deps) return undefined;
  const { compile = 'auto', pythonVersion } = config.deps;
  const compiler = await resolveCompiler(compile, pythonVersion, undefined, (line) => reporter.info(line));
  reporter.info(describeCompiler(compile, pythonVersion, compiler));
  return compiler;
}

async function signIn(config: Config, reporter: Reporter, hooks: RunHooks): Promise<AwsClients> {
  hooks.saveState?.('region', config.aws.region);
  const clients = await openClients(config.aws, reporter, hooks.idToken);
  const account = await callerAccount(clients);
  try {
    await refuseExpiringCredentials(clients, config.aws, config.timeoutMinutes);
  } catch (error) {
    clients.destroy();
    throw error;
  }
  const role = config.aws.roleToAssume ? ` as ${config.aws.roleToAssume}` : '';
  reporter.info(`Using account ${account} in ${config.aws.region}${role}.`);
  return clients;
}

function newRun(
  config: Config,
  reporter: Reporter,
  hooks: RunHooks,
  clients: AwsClients,
  cleanup: Cleanup,
  stats: Stats,
): RunContext {
  const runId = newRunId();
  const budgetSeconds = config.timeoutMinutes * 60;
  const expiry = clients.expiration?.getTime();
  const ctx: RunContext = {
    runId,
    config,
    reporter,
    hooks,
    clients,
    bucket: config.staging.bucket ?? '',
    runPrefix: `${config.staging.prefix}runs/${runId}/`,
    // Presigned URLs cannot outlive the credentials that signed them.
    budgetSeconds: expiry
      ? Math.max(300, Math.min(budgetSeconds, Math.floor((expiry - Date.now()) / 1000)))
      : budgetSeconds,
    stats,
    cleanup,
    deadline: Date.now() + budgetSeconds * 1000,
    record: {},
  };
  cleanup.add('tear down the run', () => teardown(clients, ctx.record, reporter, (key) => forget(ctx, key)));
  return ctx;
}

/** Preflight, plan, and (when something changed) publish. */
async function publishRun(ctx: RunContext, compiler: Interpreter | undefined): Promise<SyncResult> {
  const { config, reporter, stats } = ctx;
  const buildDir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'efsync-'));
  ctx.cleanup.add('remove the build directory', async () => fs.rmSync(buildDir, { recursive: true, force: true }));
  const checked = await reporter.group('Preflight', () =>
    preflight(config, ctx.clients, (line) => reporter.info(line)),
  );
  // Each place (file system and access point root) has its own states (plan/place.ts).
  const place: Place = { fileSystemId: config.fileSystem.id, root: checked.accessPointRoot };
  const plan = (full: boolean) =>
    config.mode === 'rollback'
      ? rollbackPlans(config, ctx.clients, place)
      : planTargets(config, ctx.clients, reporter, {
          buildDir,
          place,
          ...(full && { full }),
          ...(compiler && { compiler }),
        });
  const plans = await reporter.group('Plan', () =>
    timed(stats, 'plan', async () => {
      const planned = await plan(false);
      for (const line of describePlan(config, place)) reporter.info(line);
      for (const p of planned) reporter.info(describeTargetPlan(p, config.delete));
      return planned;
    }),
  );
  const base = {
    paths: targetPaths(config, checked.accessPointRoot),
    stats,
    plan: plans.map((p) => describeTargetPlan(p, config.delete)),
    lambda: {
      mountPath: config.fileSystem.lambdaMountPath,
      ...(checked.accessPointArn && { accessPointArn: checked.accessPointArn }),
    },
  };
  const servedId = (p: TargetPlan) => p.previous?.releaseId ?? '';
  const nothingToDo = config.mode === 'sync' && plans.every((p) => p.unchanged) && !config.force;
  if (config.dryRun || nothingToDo) {
    if (nothingToDo) reporter.info('Nothing changed: no instance is needed.');
    const status = (p: TargetPlan) => (p.unchanged ? 'unchanged' : 'planned');
    const targets = reportTargets(plans, config.delete, stats, status, servedId);
    return { changed: false, releaseIds: releaseIdsOf(targets), targets, ...base };
  }

  const { outcome, published: publishedPlans, instance } = await publishPlans(ctx, checked, plans, plan);
  if (outcome.commandOk) await instance.keepWarm();
  await writeStates(ctx, place, publishedPlans.toPublish, outcome.result, outcome.releaseIds);
  stats.bytes.uploaded = outcome.bytesUploaded;
  const byTarget = new Map(outcome.result.targets.map((t) => [t.target, t]));
  const targets = reportTargets(
    publishedPlans.all,
    config.delete,
    stats,
    (p) => {
      const status = byTarget.get(p.target)?.status;
      return status === 'rolled-back' ? 'rolled-back' : status ? 'published' : 'unchanged';
    },
    (p) => byTarget.get(p.target)?.releaseId || servedId(p),
  );
  return {
    changed: true,
    ...(instance.id && { instanceId: instance.id, instanceSource: instance.source }),
    ...(instance.warmUntil && { warmUntil: instance.warmUntil }),
    releaseIds: releaseIdsOf(targets),
    targets,
    ...base,
  };
}

/** Stages and runs the agent while the instance starts; after a base mismatch, plans again in full and retries once. */
async function publishPlans(
  ctx: RunContext,
  checked: PreflightResult,
  planned: TargetPlan[],
  plan: (full: boolean) => Promise<TargetPlan[]>,
): Promise<{
  outcome: PublishOutcome;
  published: { all: TargetPlan[]; toPublish: TargetPlan[] };
  instance: InstanceSession;
}> {
  const { config, reporter, stats } = ctx;
  remember(ctx, 'runId', ctx.runId);
  remember(ctx, 'stagingBucket', ctx.bucket);
  remember(ctx, 'runPrefix', ctx.runPrefix);
  const action = config.mode === 'rollback' ? 'rollback' : 'sync';
  const toPublish = (all: TargetPlan[]) => (action === 'sync' && !config.force ? all.filter((p) => !p.unchanged) : all);
  const sized = sizeInstance(checked, bytesToMove(toPublish(planned), action));
  for (const line of sized.lines) reporter.info(line);
  const launch = sized.preflight;
  const instance = new InstanceSession(ctx, launch, {
    reuseTypes: sized.reuseTypes,
    scratchBytes: (concurrency) => scratchBytes(planned, action, concurrency),
  });
  void instance.start();
  let plans = planned;
  let outcome: PublishOutcome;
  try {
    outcome = await reporter.group('Publish', () => publish(ctx, launch, toPublish(plans), instance, action));
  } catch (error) {
    if (!(error instanceof BaseMismatchError)) throw error;
    // Someone else published in between, or a state carried over from the legacy key is not this place's (its
    // release is not served here): plan again against nothing, so every file is sent, and publish once more.
    const legacy = planned.find((p) => p.carriedFrom && error.message.startsWith(`${p.target} serves`));
    const why = legacy
      ? `; the state at s3://${ctx.bucket}/${legacy.carriedFrom} was not written through this place, so it is ignored`
      : '';
    reporter.warning(`${error.message}${why}; planning again with a full upload.`);
    plans = await reporter.group('Plan again', () => timed(stats, 'plan', () => plan(true)));
    outcome = await reporter.group('Publish', () => publish(ctx, launch, toPublish(plans), instance, action));
  }
  return {
    outcome,
    published: { all: plans, toPublish: toPublish(plans) },
    instance,
  };
}

function releaseIdsOf(targets: { target: string; releaseId: string }[]): Record<string, string> {
  return Object.fromEntries(targets.filter((t) => t.releaseId).map((t) => [t.target, t.releaseId]));
}

/**
 * Runs `work` until it ends or the caller's signal aborts. On abort the run's cleanup (its teardown) runs at once,
 * and the run rejects with a RunCancelled once that is done, whatever `work` was waiting for.
 */
async function untilCancelled<T>(
  hooks: RunHooks,
  cleanup: Cleanup,
  reporter: Reporter,
  work: () => Promise<T>,
): Promise<T> {
  const { signal } = hooks;
  if (!signal) return work();
  let onAbort = () => {};
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason = String(signal.reason ?? 'aborted');
      void cleanup.run((message) => reporter.warning(message)).finally(() => reject(new RunCancelled(reason)));
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([work(), cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
