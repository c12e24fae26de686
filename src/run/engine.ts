/**
 * The one engine behind the action, the CLI and the API, top-down as a run flows: credentials, preflight, plan,
 * (nothing changed? stop), execute the job through the seam (remote/executor.ts), plan again once on a base
 * mismatch, record the new state, report; and the run's teardown whatever happens. The mode is decided once: sync,
 * rollback and sweep are three functions. The caller supplies a Config, a Reporter and hooks (state, OIDC,
 * cancellation). It leaves the process alone: no signal handlers, no exit; the adapters own those.
 */
import { labelFor } from '../config/inputs.js';
import type { Config } from '../config/types.js';
import { isValidated, validateConfig } from '../config/validate.js';
import { type Reporter, silentReporter } from '../core/reporter.js';
import { emptyStats, type SyncResult } from '../core/result.js';
import type { Place } from '../plan/place.js';
import type { TargetPlan } from '../plan/target-plan.js';
import { Cleanup, type RunContext, type RunHooks, throwIfCancelled, timed, willStage } from '../remote/context.js';
import { openExecutor } from '../remote/engine-choice.js';
import { BaseMismatchError, type Execution, type OpenExecutor } from '../remote/executor.js';
import type { JobAction } from '../remote/job.js';
import { preflight } from '../remote/preflight/preflight.js';
import { sweep } from '../remote/sweep.js';
import { teardown } from '../remote/teardown.js';
import { executedResult, plannedResult, resultBase, writeStates } from './finalize.js';
import { planTargets, replanWarning, reportPlan, rollbackPlans } from './plan-targets.js';
import { buildDirectory, compilerFor, credentials, newRun, type RunSetting, signIn, untilCancelled } from './setup.js';

/** The steps the engine takes, each its own module: a unit test replaces the ones that would reach AWS. */
export const PARTS = {
  signIn,
  preflight,
  planTargets,
  rollbackPlans,
  openExecutor: openExecutor as OpenExecutor,
  writeStates,
  teardown,
  sweep,
};
export type Parts = typeof PARTS;

/** One run's setting and the parts it runs with. */
type Run = RunSetting & { parts: Parts };

/** What the mode (sync or rollback) decides about the work, decided once. */
interface Mode {
  action: JobAction;
  plan: (full: boolean) => Promise<TargetPlan[]>;
  /** The plans the executor carries out. */
  toCarryOut: (plans: TargetPlan[]) => TargetPlan[];
  /** Nothing changed: no executor is needed. */
  nothingToDo: (plans: TargetPlan[]) => boolean;
}

/** Runs one configuration. A Config not from loadConfig (built or changed by hand) is validated here first. */
export function sync(config: Config, reporter: Reporter = silentReporter, hooks: RunHooks = {}): Promise<SyncResult> {
  return runWith(PARTS, config, reporter, hooks);
}

export async function runWith(parts: Parts, config: Config, reporter: Reporter, hooks: RunHooks): Promise<SyncResult> {
  if (!isValidated(config))
    for (const warning of validateConfig(config, (name) => labelFor(name, 'option'))) reporter.warning(warning);
  throwIfCancelled(hooks);
  const run: Run = { config, reporter, hooks, stats: emptyStats(), cleanup: new Cleanup(), parts };
  const byMode = { sync: syncRun, rollback: rollbackRun, sweep: sweepRun };
  return untilCancelled(hooks, run.cleanup, reporter, async () => {
    try {
      return await byMode[config.mode](run);
    } finally {
      await timed(run.stats, 'cleanup', () => run.cleanup.run((message) => reporter.warning(message)));
    }
  });
}

/** Signs in and opens the run's context: from here on the run's teardown is part of its cleanup. */
async function begin(run: Run): Promise<RunContext> {
  return newRun(run, await credentials(run, run.parts.signIn), run.parts.teardown);
}

async function sweepRun(run: Run): Promise<SyncResult> {
  return run.parts.sweep(run.config, await credentials(run, run.parts.signIn), run.reporter, run.stats);
}

async function syncRun(run: Run): Promise<SyncResult> {
  const { config, reporter, parts } = run;
  // compile true fails the run before any AWS call when no Python writes the .pyc files; auto never fails, so it
  // looks for one while the run signs in, checks and plans, and the plan waits for it only where it needs it.
  const strict = config.deps?.compile === true ? await compilerFor(config, reporter) : undefined;
  const compiler = strict === undefined ? compilerFor(config, reporter) : Promise.resolve(strict);
  compiler.catch(() => undefined);
  const ctx = await begin(run);
  const buildDir = buildDirectory(ctx.cleanup);
  return carryOut(run, ctx, (place) => ({
    action: 'sync',
    plan: (full) =>
      parts.planTargets(config, ctx.clients, reporter, {
        buildDir,
        place,
        ...(full && { full }),
        compiler,
      }),
    toCarryOut: (all) => (config.force ? all : all.filter((p) => !p.unchanged)),
    nothingToDo: (plans) => !config.force && plans.every((p) => p.unchanged),
  }));
}

async function rollbackRun(run: Run): Promise<SyncResult> {
  const ctx = await begin(run);
  return carryOut(run, ctx, (place) => ({
    action: 'rollback',
    plan: () => run.parts.rollbackPlans(run.config, ctx.clients, place),
    toCarryOut: (plans) => plans,
    nothingToDo: () => false,
  }));
}

/** Preflight, plan, and (when something changed) execute, plan again once on a base mismatch, and record. */
async function carryOut(run: Run, ctx: RunContext, modeAt: (place: Place) => Mode): Promise<SyncResult> {
  const { config, reporter, stats, parts } = run;
  const checked = await reporter.group('Preflight', () =>
    parts.preflight(config, ctx.clients, (l) => reporter.info(l)),
  );
  // Each place (file system and access point root) has its own states (plan/place.ts).
  const place: Place = { fileSystemId: config.fileSystem.id, root: checked.accessPointRoot };
  const mode = modeAt(place);
  let plans = await reporter.group('Plan', () =>
    timed(stats, 'plan', async () => reportPlan(config, place, await mode.plan(false), reporter)),
  );
  const base = resultBase(config, checked, stats, plans);
  const nothingToDo = mode.nothingToDo(plans);
  if (nothingToDo) reporter.info('Nothing changed: no instance is needed.');
  if (config.dryRun || nothingToDo) return plannedResult(base, plans);

  willStage(ctx);
  const work = () => ({ action: mode.action, plans: mode.toCarryOut(plans) });
  const executor = parts.openExecutor(ctx, checked, work(), plans);
  const execute = () => reporter.group('Publish', () => executor.execute(work()));
  let execution: Execution;
  try {
    execution = await execute();
  } catch (error) {
    if (!(error instanceof BaseMismatchError)) throw error;
    // Plan again against nothing, so every file is sent, and execute once more.
    reporter.warning(replanWarning(error, plans, ctx.bucket));
    plans = await reporter.group('Plan again', () => timed(stats, 'plan', () => mode.plan(true)));
    execution = await execute();
  }
  const ranOn = await executor.finish();
  await parts.writeStates(ctx, place, mode.toCarryOut(plans), execution.result, execution.releaseIds);
  return executedResult(base, plans, execution, ranOn);
}
