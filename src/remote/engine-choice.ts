/**
 * Which engine carries a run's jobs out, decided once per run from `engine` and `writer-function`:
 * - instance: the run's instance (remote/instance/executor.ts);
 * - lambda: the writer function (remote/lambda/executor.ts), or the run's one error;
 * - auto: the writer function when writer-function names one and the job fits it, else an instance, saying why; a
 *   failure of the function's own (its network, mount, state or throttling: nothing was written) moves the job to an
 *   instance, saying so.
 */
import { PreflightError } from '../core/errors.js';
import type { Executor, OpenExecutor } from './executor.js';
import { openInstance } from './instance/executor.js';
import { openFunction } from './lambda/executor.js';
import { FunctionUnavailable } from './lambda/invoke.js';
import { FunctionNotReady } from './lambda/ready.js';

export const openExecutor: OpenExecutor = (ctx, checked, work, planned) => {
  const { engine, fileSystem } = ctx.config;
  const name = fileSystem.writerFunction;
  if (engine === 'instance' || !name) {
    if (engine === 'auto') ctx.reporter.info('No writer-function is set: an instance carries the job out.');
    return openInstance(ctx, checked, work, planned);
  }
  // The function mounts the file system's root (its own access point): a run through another access point's root
  // directory publishes where only an instance mounting that access point writes.
  if (checked.accessPointRoot !== '/') {
    const why = `the run publishes through access point ${fileSystem.accessPointId} (root ${checked.accessPointRoot}), which the writer function does not mount`;
    if (engine === 'lambda')
      throw new PreflightError(`engine lambda cannot carry this job out: ${why}. Use engine instance or auto.`);
    ctx.reporter.info(`${why[0]?.toUpperCase()}${why.slice(1)}: an instance carries the job out.`);
    return openInstance(ctx, checked, work, planned);
  }
  const writer = openFunction(name)(ctx, checked);
  if (engine === 'lambda') return writer;
  let instead: Executor | undefined;
  return {
    async execute(next) {
      if (instead) return instead.execute(next);
      try {
        return await writer.execute(next);
      } catch (error) {
        if (!(error instanceof FunctionUnavailable || error instanceof FunctionNotReady)) throw error;
        // An instance imports nothing: verify-imports true fails with the function rather than publish unchecked.
        if (ctx.config.deps?.verifyImports === true) throw error;
        ctx.reporter.warning(`${error.message} engine auto: an instance carries the job out instead.`);
        instead = openInstance(ctx, checked, next, planned);
        return instead.execute(next);
      }
    },
    finish: () => (instead ?? writer).finish(),
  };
};
