/** The run's one instance: launched at most once (while staging runs), recorded for teardown the moment it exists. */
import { launchInstance, terminateInstance, waitOnline, waitRunning } from '../aws/instance.js';
import type { PreflightResult } from '../aws/preflight.js';
import { type RunContext, remember, throwIfCancelled, waitsFor } from './run-context.js';

export class InstanceSession {
  id: string | undefined;
  private ready: Promise<string> | undefined;
  private readonly ctx: RunContext;
  private readonly preflight: PreflightResult;
  private readonly scratchBytes: number;

  /** `scratchBytes`: what the agent keeps on the instance's disk at most (job-manifest.ts, scratchBytes). */
  constructor(ctx: RunContext, preflight: PreflightResult, scratchBytes = 0) {
    this.ctx = ctx;
    this.preflight = preflight;
    this.scratchBytes = scratchBytes;
  }

  /** Starts the launch if it has not started; resolves once SSM has the instance Online. */
  start(): Promise<string> {
    if (!this.ready) {
      this.ready = this.launch();
      // Awaited later; until then a failure must not surface as an unhandled rejection.
      this.ready.catch(() => {});
    }
    return this.ready;
  }

  private async launch(): Promise<string> {
    const { ctx } = this;
    const log = (line: string) => ctx.reporter.info(`[instance] ${line}`);
    throwIfCancelled(ctx.hooks);
    const id = await launchInstance(
      ctx.clients,
      {
        runId: ctx.runId,
        fileSystemId: ctx.config.fileSystem.id,
        instanceProfile: ctx.config.fileSystem.instanceProfile,
        timeoutMinutes: ctx.config.timeoutMinutes,
        preflight: this.preflight,
        scratchBytes: this.scratchBytes,
      },
      (launched) => {
        this.id = launched;
        remember(ctx, 'instanceId', launched);
        // Launched while the run's teardown was already under way: it must not outlive the run.
        if (ctx.cleanup.started) void terminateInstance(ctx.clients, launched).catch(() => undefined);
      },
      log,
    );
    log(`${id} launched; waiting until it runs`);
    await waitRunning(ctx.clients, id, 300);
    log(`${id} is running; waiting for SSM to have it Online`);
    await waitOnline(ctx.clients, id, waitsFor(ctx.budgetSeconds, ctx.hooks).onlineSeconds);
    log(`${id} is Online`);
    return id;
  }
}
