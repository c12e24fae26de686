/**
 * The post step: tears down whatever main left behind, from what it recorded in state. Idempotent: each resource is
 * checked before acting (main's own cleanup usually got there first). Never fails the job over cleanup: a problem
 * here is a warning, since main already reported its own outcome.
 */
import * as core from '@actions/core';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../aws/client-config.js';
import { resolveCredentials } from '../aws/credentials.js';
import { tagErrors } from '../aws/errors.js';
import { terminateInstance, terminateRunInstances } from '../aws/instance.js';
import { cancelCommand } from '../aws/remote.js';
import { deleteRunObjects } from '../stage/run-objects.js';
import { actionReporter } from './reporter.js';
import { readState } from './state.js';

export async function post(): Promise<void> {
  const state = readState();
  if (!state.started || !state.region || (!state.instanceId && !state.runPrefix && !state.runId)) {
    core.info('Nothing to clean up: no instance was launched and nothing was staged.');
    return;
  }
  try {
    const aws = await resolveCredentials(
      {
        region: state.region,
        roleSessionName: state.roleSessionName ?? 'efsync',
        roleDurationSeconds: Number(state.roleDurationSeconds ?? 900),
        audience: state.audience ?? 'sts.amazonaws.com',
        ...(state.roleToAssume && { roleToAssume: state.roleToAssume }),
      },
      actionReporter,
      (audience) => core.getIDToken(audience),
    );
    await step('Cancel the command', async () => {
      if (state.commandId) await cancelCommand(aws, state.commandId).catch(() => undefined);
    });
    await step('Terminate the instance', async () => {
      if (state.instanceId) {
        const terminated = await terminateInstance(aws, state.instanceId);
        core.info(terminated ? `Terminated ${state.instanceId}.` : `${state.instanceId} is already gone.`);
      }
      // Also any instance of the run whose id main never learned (cancelled while RunInstances was answering).
      if (state.runId) {
        const others = await terminateRunInstances(aws, state.runId);
        if (others.length > 0) core.info(`Terminated ${others.join(', ')}.`);
      }
    });
    await step('Delete the staged run', async () => {
      if (!state.stagingBucket || !state.runPrefix) return;
      const s3 = tagErrors(new S3Client(clientConfig(aws)), 's3');
      try {
        const deleted = await deleteRunObjects(s3, state.stagingBucket, state.runPrefix);
        core.info(deleted ? `Deleted ${deleted} staged object(s).` : 'No staged objects were left.');
      } finally {
        s3.destroy();
      }
    });
  } catch (error) {
    core.warning(`Cleanup could not get AWS credentials: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function step(title: string, work: () => Promise<void>): Promise<void> {
  await core.group(title, async () => {
    try {
      await work();
    } catch (error) {
      core.warning(`${title} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
