/** The action's main step, top-down as a run flows: inputs, then the engine, then outputs and summary. */
import * as core from '@actions/core';
import { explainAwsError } from '../aws/errors.js';
import { sync } from '../engine.js';
import type { SyncResult } from '../sync/result.js';
import { loadActionConfig } from './inputs.js';
import { outputsOf } from './outputs.js';
import { actionReporter } from './reporter.js';
import { markStarted, saveState } from './state.js';
import { writeSummary } from './summary.js';

export async function run(): Promise<void> {
  let result: SyncResult | undefined;
  let failure: unknown;
  try {
    markStarted();
    const { config, warnings, notices } = loadActionConfig();
    for (const notice of notices) core.info(notice);
    if (config.aws.profile) {
      // A runner has no named profiles: credentials come from OIDC or the job's environment.
      core.info(`aws_profile ${config.aws.profile} is used by the CLI and the API only; the action ignores it.`);
      delete config.aws.profile;
    }
    for (const warning of warnings) core.warning(warning);
    // What the post step needs to get credentials again; never the credentials themselves.
    const { aws } = config;
    if (aws.roleToAssume) {
      saveState('roleToAssume', aws.roleToAssume);
      saveState('roleSessionName', aws.roleSessionName);
      saveState('roleDurationSeconds', String(aws.roleDurationSeconds));
      saveState('audience', aws.audience);
    }
    result = await sync(config, actionReporter, { saveState, idToken: (audience) => core.getIDToken(audience) });
  } catch (error) {
    failure = error;
  }
  // Outputs and summary are recorded before failing, so a failed run still says what it knew.
  if (result) {
    for (const [name, value] of Object.entries(outputsOf(result))) core.setOutput(name, value);
    await writeSummary(result);
  }
  if (failure !== undefined) core.setFailed(messageOf(failure));
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    if (process.env.SHOW_STACK_TRACE === 'true' && error.stack) core.debug(error.stack);
    return explainAwsError(error);
  }
  return String(error);
}
