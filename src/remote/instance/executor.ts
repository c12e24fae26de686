/**
 * The instance engine behind the seam (executor.ts): the run's one instance, borrowed, reused warm or launched
 * (session.ts), sized from the plan's bytes (sizing.ts) and started the moment the executor is opened, so that it
 * boots while the job is staged; each job runs on it through SSM (run-job.ts).
 */

import type { ExecutedOn, Executor, OpenExecutor } from '../executor.js';
import { bytesToMove, scratchBytes } from '../job.js';
import { executeOnInstance } from './run-job.js';
import { InstanceSession } from './session.js';
import { sizeInstance } from './sizing.js';

export const openInstance: OpenExecutor = (ctx, checked, work, planned): Executor => {
  const sized = sizeInstance(checked, bytesToMove(work.plans, work.action));
  for (const line of sized.lines) ctx.reporter.info(line);
  const instance = new InstanceSession(ctx, checked, sized.launch, (concurrency) =>
    scratchBytes(planned, work.action, concurrency),
  );
  // Finding or launching the instance starts now; the first execute awaits it once the job is staged.
  void instance.start();
  return {
    execute: ({ action, plans }) => executeOnInstance(ctx, checked, plans, instance, action),
    async finish(): Promise<ExecutedOn> {
      await instance.keepWarm();
      return {
        engine: 'instance',
        ...(instance.id && { instanceId: instance.id, instanceSource: instance.source }),
        ...(instance.warmUntil && { warmUntil: instance.warmUntil }),
      };
    },
  };
};
