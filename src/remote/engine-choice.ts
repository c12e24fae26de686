/**
 * Which engine carries a run's jobs out, decided once per run from `engine` and `writer-function`:
 * - instance: the run's instance (remote/instance/executor.ts);
 * - lambda: the writer function (remote/lambda/executor.ts), or the run's one error;
 * - auto: the writer function when writer-function names one and the job fits it (its mount and size, lambda/fit.ts),
 *   else an instance, saying why; a failure of the function's own (its network, mount, state or throttling: nothing
 *   was written) moves the job to an instance, saying so.
 */
import { EfsyncError } from '../core/errors.js';
import type { Executor, OpenExecutor } from './executor.js';
import { openInstance } from './instance/executor.js';
import { openFunction } from './lambda/executor.js';
import { FunctionUnsuited } from './lambda/fit.js';
import { FunctionUnavailable } from './lambda/invoke.js';
import { FunctionNotReady } from './lambda/ready.js';

export const openExecutor: OpenExecutor = (ctx, checked, work, planned) => {
  const { engine, fileSystem } = ctx.config;
  const name = fileSystem.writerFunction;
  if (engine === 'instance' || !name) {
    if (engine === 'auto') ctx.reporter.info('No writer-function is set: an instance carries the job out.');
    return openInstance(ctx, checked, work, planned);
  }
  const writer = openFunction(name)(ctx, checked);
  if (engine === 'lambda') {
    return {
      execute: (next) =>
        writer.execute(next).catch((error: unknown) => {
          if (!(error instanceof FunctionUnsuited)) throw error;
          throw new EfsyncError(
            `engine lambda cannot carry this job out: ${error.message}. Use engine: instance, or auto, which takes an instance for such a job.`,
          );
        }),
      finish: () => writer.finish(),
    };
  }
  let instead: Executor | undefined;
  return {
    async execute(next) {
      if (instead) return instead.execute(next);
      try {
        return await writer.execute(next);
      } catch (error) {
        if (error instanceof FunctionUnsuited) {
          if (ctx.config.deps?.verifyImports === true)
            throw new EfsyncError(
              `verify-imports is true, but ${error.message}, and an instance never imports the release. Write verify-imports: auto or false to publish it with an instance.`,
            );
          ctx.reporter.info(
            `${error.message[0]?.toUpperCase()}${error.message.slice(1)}: an instance carries the job out.`,
          );
        } else if (error instanceof FunctionUnavailable || error instanceof FunctionNotReady) {
          // An instance imports nothing: verify-imports true fails with the function rather than publish unchecked.
          if (ctx.config.deps?.verifyImports === true) throw error;
          ctx.reporter.warning(`${error.message} engine auto: an instance carries the job out instead.`);
        } else throw error;
        instead = openInstance(ctx, checked, next, planned);
        return instead.execute(next);
      }
    },
    finish: () => (instead ?? writer).finish(),
  };
};
