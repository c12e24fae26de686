/**
 * The post step: tears down whatever main recorded in state. Idempotent, checks before acting, and never fails
 * the job over cleanup: a problem here is a warning, since main already reported its own outcome.
 */
import * as core from '@actions/core';
import { readState } from './state.js';

export async function post(): Promise<void> {
  try {
    const state = readState();
    if (!state.started) {
      core.info('Main did not start: nothing to clean up.');
      return;
    }
    if (state.instanceId === undefined && state.stagingRun === undefined) {
      core.info('Nothing to clean up: no instance was launched and nothing was staged.');
      return;
    }
    core.warning(
      `Cleanup of ${[state.instanceId, state.stagingRun].filter(Boolean).join(' and ')} is not available in this version.`,
    );
  } catch (error) {
    core.warning(`Cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
