/**
 * What the engine does around a run before and after its work: the interpreter for .pyc, signing in, the run's
 * context (its id, budget, teardown), and cancellation. The engine (engine.ts) reads top-down over these.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { callerAccount, openClients, refuseExpiringCredentials } from '../aws/credentials.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { Stats } from '../core/result.js';
import { describeCompiler, type Interpreter, resolveCompiler } from '../plan/bytecode.js';
import { type Cleanup, forget, newRunId, RunCancelled, type RunContext, type RunHooks } from '../remote/context.js';
import { teardown } from '../remote/teardown.js';

/** The interpreter that writes the dependencies' .pyc, found (or refused, for compile: true) before any AWS call. */
export async function compilerFor(config: Config, reporter: Reporter): Promise<Interpreter | undefined> {
  if (!config.deps) return undefined;
  const { compile = 'auto', pythonVersion } = config.deps;
  const compiler = await resolveCompiler(compile, pythonVersion, undefined, (line) => reporter.info(line));
  reporter.info(describeCompiler(compile, pythonVersion, compiler));
  return compiler;
}

export async function signIn(config: Config, reporter: Reporter, hooks: RunHooks): Promise<AwsClients> {
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

/** Where a sync run builds its dependencies and parts: under the runner's temp directory, removed by the cleanup. */
export function buildDirectory(cleanup: Cleanup): string {
  const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'efsync-'));
  cleanup.add('remove the build directory', async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One run's setting, the same for every step. */
export interface RunSetting {
  config: Config;
  reporter: Reporter;
  hooks: RunHooks;
  stats: Stats;
  cleanup: Cleanup;
}

/** Signs in, in the log's Credentials group; the clients are closed by the run's cleanup. */
export async function credentials(run: RunSetting, sign: typeof signIn = signIn): Promise<AwsClients> {
  const clients = await run.reporter.group('Credentials', () => sign(run.config, run.reporter, run.hooks));
  run.cleanup.add('close the AWS clients', async () => clients.destroy());
  return clients;
}

/** A run's context; its teardown (`tear`) is the first thing its cleanup is given. */
export function newRun(run: RunSetting, clients: AwsClients, tear: typeof teardown = teardown): RunContext {
  const { config, reporter, hooks, stats, cleanup } = run;
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
  cleanup.add('tear down the run', () => tear(clients, ctx.record, reporter, (key) => forget(ctx, key)));
  return ctx;
}

/**
 * Runs `work` until it ends or the caller's signal aborts. On abort the run's cleanup (its teardown) runs at once,
 * and the run rejects with a RunCancelled once that is done, whatever `work` was waiting for.
 */
export async function untilCancelled<T>(
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
