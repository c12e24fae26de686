/** Leaving nothing behind: the run's staged objects, and a cleanup that also runs on SIGINT and SIGTERM. */
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../aws/client-config.js';
import { tagErrors } from '../aws/errors.js';
import { deleteRunObjects } from '../stage/run-objects.js';
import type { RunContext } from './run-context.js';

export async function cleanupRun(ctx: RunContext): Promise<void> {
  const s3 = tagErrors(new S3Client(clientConfig(ctx.aws)), 's3');
  try {
    const deleted = await deleteRunObjects(s3, ctx.bucket, ctx.runPrefix);
    if (deleted > 0) ctx.reporter.info(`Deleted ${deleted} staged object(s) of run ${ctx.runId}.`);
  } finally {
    s3.destroy();
  }
}

/**
 * On cancellation the runner sends SIGINT, then SIGTERM 7.5 s later, then kills the process 2.5 s after that: clean
 * up at the first signal (terminating the instance comes first), ignore the second, and exit non-zero.
 */
export function installSignalHandlers(ctx: RunContext): () => void {
  let handling = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (handling) return;
    handling = true;
    ctx.reporter.warning(`Received ${signal}: cleaning up before exiting.`);
    void ctx.cleanup
      .run((message) => ctx.reporter.warning(message))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
