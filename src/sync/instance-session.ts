/** The run's one instance: launched at most once (while staging runs), recorded for cleanup the moment it exists. */
import { launchInstance, terminateInstance, waitOnline, waitRunning } from '../aws/instance.js';
import type { PreflightResult } from '../aws/preflight.js';
import type { RunContext } from './run-context.js';

export class InstanceSession {
  id: string | undefined;
  private ready: Promise<string> | undefined;
  private readonly ctx: RunContext;
  private readonly preflight: PreflightResult;

  constructor(ctx: RunContext, preflight: PreflightResult) {
    this.ctx = ctx;
    this.preflight = preflight;
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
    const id = await launchInstance(
      ctx.aws,
      {
        runId: ctx.runId,
        fileSystemId: ctx.config.fileSystem.id,
        instanceProfile: ctx.config.fileSystem.instanceProfile,
        timeoutMinutes: ctx.config.timeoutMinutes,
        preflight: this.preflight,
      },
      (launched) => {
        this.id = launched;
        ctx.hooks.saveState?.('instanceId', launched);
        ctx.cleanup.add('terminate the instance', async () => {
          if (await terminateInstance(ctx.aws, launched)) ctx.reporter.info(`Terminated ${launched}.`);
        });
      },
      log,
    );
    log(`${id} launched; waiting until it runs`);
    await waitRunning(ctx.aws, id, 300);
    log(`${id} is running; waiting for SSM to have it Online`);
    // SSM usually has a new instance within 1-2 minutes; a fifth of the run's budget, at most 10, is plenty.
    await waitOnline(ctx.aws, id, Math.min(600, Math.max(60, Math.floor(ctx.budgetSeconds / 5))));
    log(`${id} is Online`);
    return id;
  }
}
