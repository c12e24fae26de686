/**
 * The one engine behind the action, the CLI and the API, top-down as a run flows: credentials, preflight, plan,
 * (nothing changed? stop), stage while the instance starts, run the agent, record the new state, report; and
 * cleanup whatever happens. The caller supplies a Config, a Reporter and, on a runner, hooks for state and OIDC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callerAccount, resolveCredentials } from './aws/credentials.js';
import { terminateRunInstances } from './aws/instance.js';
import { preflight } from './aws/preflight.js';
import { labelFor } from './config/inputs.js';
import type { Config } from './config/types.js';
import { validateConfig } from './config/validate.js';
import { targetPaths } from './paths.js';
import { describePlan } from './plan.js';
import { type Reporter, silentReporter } from './report.js';
import { cleanupRun, installSignalHandlers } from './sync/cleanup.js';
import { reportTargets, writeStates } from './sync/finalize.js';
import { InstanceSession } from './sync/instance-session.js';
import { describeTargetPlan, planTargets, rollbackPlans, type TargetPlan } from './sync/planning.js';
import { BaseMismatchError, publish } from './sync/publish.js';
import { emptyStats, type SyncResult } from './sync/result.js';
import { Cleanup, newRunId, type RunContext, type RunHooks, timed } from './sync/run-context.js';
import { sweep } from './sync/sweep.js';

export type { Counts, Phase, Stats, SyncResult, TargetReport } from './sync/result.js';
export { PHASES } from './sync/result.js';
export type { RunHooks } from './sync/run-context.js';

/** Runs one configuration. A Config built by hand is validated here too, before anything touches AWS. */
export async function sync(
  config: Config,
  reporter: Reporter = silentReporter,
  hooks: RunHooks = {},
): Promise<SyncResult> {
  for (const warning of validateConfig(config, (name) => labelFor(name, 'option'))) reporter.warning(warning);
  const stats = emptyStats();
  const started = Date.now();
  const aws = await reporter.group('Credentials', async () => {
    hooks.saveState?.('region', config.aws.region);
    const context = await resolveCredentials(config.aws, reporter, hooks.idToken);
    const account = await callerAccount(context);
    reporter.info(
      `Using account ${account} in ${config.aws.region}${config.aws.roleToAssume ? ` as ${config.aws.roleToAssume}` : ''}.`,
    );
    return context;
  });
  if (config.mode === 'sweep') return sweep(config, aws, reporter, stats);

  const runId = newRunId();
  const budgetSeconds = config.timeoutMinutes * 60;
  const expiry = aws.credentials?.expiration?.getTime();
  const ctx: RunContext = {
    runId,
    config,
    reporter,
    hooks,
    aws,
    bucket: config.staging.bucket ?? '',
    runPrefix: `${config.staging.prefix}runs/${runId}/`,
    // Presigned URLs cannot outlive the credentials that signed them.
    budgetSeconds: expiry
      ? Math.max(300, Math.min(budgetSeconds, Math.floor((expiry - Date.now()) / 1000)))
      : budgetSeconds,
    stats,
    cleanup: new Cleanup(),
    deadline: started + budgetSeconds * 1000,
  };
  const buildDir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'efsync-'));
  ctx.cleanup.add('remove the build directory', async () => fs.rmSync(buildDir, { recursive: true, force: true }));
  const uninstall = installSignalHandlers(ctx);
  try {
    const checked = await reporter.group('Preflight', () => preflight(config, aws));
    const paths = targetPaths(config, checked.accessPointRoot);
    const lambda = {
      mountPath: config.fileSystem.lambdaMountPath,
      ...(checked.accessPointArn && { accessPointArn: checked.accessPointArn }),
    };
    let plans = await reporter.group('Plan', () =>
      timed(stats, 'plan', async () => {
        const planned =
          config.mode === 'rollback'
            ? await rollbackPlans(config, aws)
            : await planTargets(config, aws, reporter, { buildDir });
        for (const line of describePlan(config)) reporter.info(line);
        for (const plan of planned) reporter.info(describeTargetPlan(plan, config.delete));
        return planned;
      }),
    );
    const planLines = plans.map((plan) => describeTargetPlan(plan, config.delete));
    const servedId = (plan: TargetPlan) => plan.previous?.releaseId ?? '';
    const nothingToDo = config.mode === 'sync' && plans.every((p) => p.unchanged) && !config.force;
    if (config.dryRun || nothingToDo) {
      if (nothingToDo) reporter.info('Nothing changed: no instance is needed.');
      const targets = reportTargets(
        plans,
        config.delete,
        stats,
        (p) => (p.unchanged ? 'unchanged' : 'planned'),
        servedId,
      );
      return { changed: false, paths, releaseIds: releaseIdsOf(targets), stats, targets, plan: planLines, lambda };
    }

    hooks.saveState?.('runId', runId);
    ctx.cleanup.add('terminate the instances of this run', async () => {
      const ids = await terminateRunInstances(aws, runId);
      if (ids.length > 0) reporter.info(`Terminated ${ids.join(', ')}.`);
    });
    hooks.saveState?.('stagingBucket', ctx.bucket);
    hooks.saveState?.('runPrefix', ctx.runPrefix);
    ctx.cleanup.add('delete the staged run', () => cleanupRun(ctx));
    const instance = new InstanceSession(ctx, checked);
    void instance.start();
    const action = config.mode === 'rollback' ? 'rollback' : 'sync';
    const toPublish = (all: TargetPlan[]) =>
      action === 'sync' && !config.force ? all.filter((p) => !p.unchanged) : all;
    let outcome: Awaited<ReturnType<typeof publish>>;
    try {
      outcome = await reporter.group('Publish', () => publish(ctx, checked, toPublish(plans), instance, action));
    } catch (error) {
      if (!(error instanceof BaseMismatchError)) throw error;
      // Someone else published in between: plan again against nothing, so every file is sent, and publish once more.
      reporter.warning(`${error.message}; planning again with a full upload.`);
      plans = await reporter.group('Plan again', () =>
        timed(stats, 'plan', () => planTargets(config, aws, reporter, { buildDir, full: true })),
      );
      outcome = await reporter.group('Publish', () => publish(ctx, checked, toPublish(plans), instance, action));
    }
    await writeStates(ctx, toPublish(plans), outcome.result, outcome.releaseIds);
    stats.bytes.uploaded = outcome.bytesUploaded;
    const published = new Map(outcome.result.targets.map((t) => [t.target, t]));
    const targets = reportTargets(
      plans,
      config.delete,
      stats,
      (p) =>
        published.get(p.target)?.status === 'rolled-back'
          ? 'rolled-back'
          : published.has(p.target)
            ? 'published'
            : 'unchanged',
      (p) => published.get(p.target)?.releaseId || servedId(p),
    );
    return {
      changed: true,
      ...(instance.id && { instanceId: instance.id }),
      paths,
      releaseIds: releaseIdsOf(targets),
      stats,
      targets,
      plan: planLines,
      lambda,
    };
  } finally {
    uninstall();
    await timed(stats, 'cleanup', () => ctx.cleanup.run((message) => reporter.warning(message)));
  }
}

function releaseIdsOf(targets: { target: string; releaseId: string }[]): Record<string, string> {
  return Object.fromEntries(targets.filter((t) => t.releaseId).map((t) => [t.target, t.releaseId]));
}
