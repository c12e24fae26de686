/**
 * The post step: the run's teardown again, from what main recorded in state, for whatever main could not finish
 * (a crash, a kill). Idempotent: each resource is checked before acting (main's own teardown usually got there
 * first). Never fails the job over cleanup: a problem here is a warning, since main already reported its outcome.
 */
import * as core from '@actions/core';
import { openClients } from '../aws/credentials.js';
import { errorMessage } from '../core/errors.js';
import { teardown } from '../remote/teardown.js';
import { oidcTokenSource } from './inputs.js';
import { actionReporter } from './reporter.js';
import { readPostState } from './state.js';

export async function post(): Promise<void> {
  const state = readPostState();
  if (!state.started || !state.region || (!state.instanceId && !state.runPrefix && !state.runId)) {
    core.info('Nothing to clean up: no instance was launched and nothing was staged.');
    return;
  }
  let clients: Awaited<ReturnType<typeof openClients>>;
  try {
    clients = await openClients(
      {
        region: state.region,
        roleSessionName: state.roleSessionName ?? 'efsync',
        roleDurationSeconds: Number(state.roleDurationSeconds ?? 900),
        audience: state.audience ?? 'sts.amazonaws.com',
        ...(state.roleToAssume && { roleToAssume: state.roleToAssume }),
      },
      actionReporter,
      oidcTokenSource(),
    );
  } catch (error) {
    core.warning(`Cleanup could not get AWS credentials: ${errorMessage(error)}`);
    return;
  }
  try {
    await core.group('Cleanup', () => teardown(clients, state, actionReporter));
  } finally {
    clients.destroy();
  }
}
