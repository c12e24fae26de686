/**
 * The one teardown of a run, from what it recorded: cancel the command, terminate the instance unless another run is
 * using it (a warm instance shared by runs, in-use.ts), and any instance
 * tagged with the run whose id was never learned), delete the staged run. Main's finally, the cancellation of a run
 * and the post step all call it. Idempotent: each resource is checked before acting, and one step failing does not
 * stop the next; a failure is a warning, never the run's error.
 */
import type { AwsClients } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import type { Reporter } from '../core/reporter.js';
import type { RunRecord, StateKey } from '../core/state-keys.js';
import { otherRunUsing } from './instance/in-use.js';
import { terminateInstance, terminateRunInstances } from './instance/launch.js';
import { cancelCommand } from './instance/ssm.js';
import { deleteRunObjects } from './stage/run-objects.js';

/**
 * `forget`: drops a key from what the post step will see (the instance left to another run must not be terminated by
 * this run's post step later, when that run may have put it back warm).
 */
export async function teardown(
  clients: AwsClients,
  record: RunRecord,
  reporter: Reporter,
  forget: (key: StateKey) => void = () => {},
): Promise<void> {
  const step = async (title: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      reporter.warning(`${title} failed: ${explainAwsError(error)}`);
    }
  };
  const { commandId, instanceId, runId, stagingBucket, runPrefix, warmInstanceId } = record;
  if (commandId) {
    // Terminating the instance ends the command too; this only spares SSM a command left InProgress.
    await step('Cancel the command', () => cancelCommand(clients, commandId).catch(() => undefined));
  }
  let left: string | undefined;
  if (instanceId) {
    await step('Terminate the instance', async () => {
      // A warm instance another run is using is left to it (in-use.ts); if that cannot be told, it is terminated.
      const user = runId
        ? await otherRunUsing(clients, instanceId, runId).catch((error: unknown) => {
            reporter.warning(`Could not tell whether another run uses ${instanceId}: ${explainAwsError(error)}`);
            return undefined;
          })
        : undefined;
      if (user) {
        left = instanceId;
        forget('instanceId');
        reporter.info(
          `Left ${instanceId} running: another run is using it (${user}). Its dead-man switch ends it once no run needs it.`,
        );
        return;
      }
      const terminated = await terminateInstance(clients, instanceId);
      reporter.info(terminated ? `Terminated ${instanceId}.` : `${instanceId} is already gone.`);
    });
  }
  // Also any instance of the run whose id was never learned (cancelled while RunInstances was answering), and the
  // known one if terminating it by id failed: its own step, so that such a failure does not skip it.
  if (runId) {
    await step("Terminate the run's instances", async () => {
      const others = await terminateRunInstances(clients, runId, warmInstanceId ?? left);
      if (others.length > 0) reporter.info(`Terminated ${others.join(', ')}.`);
    });
  }
  if (stagingBucket && runPrefix) {
    await step('Delete the staged run', async () => {
      const deleted = await deleteRunObjects(clients.s3, stagingBucket, runPrefix);
      reporter.info(deleted ? `Deleted ${deleted} staged object(s) of ${runPrefix}.` : 'No staged objects were left.');
    });
  }
}
