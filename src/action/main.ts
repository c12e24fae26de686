/** The action's main step, top-down as a run flows: inputs, then the engine, then outputs and summary. */
import * as core from '@actions/core';
import { explainAwsError } from '../aws/errors.js';
import type { AwsConfig } from '../config/types.js';
import { outputsOf } from '../core/outputs.js';
import type { SyncResult } from '../core/result.js';
import { secretsIn } from '../core/url-credentials.js';
import { RunCancelled } from '../remote/context.js';
import { sync } from '../run/engine.js';
import { cancelOnSignals, SIGNAL_EXIT_CODES } from '../run/signals.js';
import { loadActionConfig, oidcTokenSource } from './inputs.js';
import { actionReporter } from './reporter.js';
import { markStarted, saveState } from './state.js';
import { writeSummary } from './summary.js';

export async function run(): Promise<void> {
  let result: SyncResult | undefined;
  let failure: unknown;
  const cancellation = new AbortController();
  const stopListening = cancelOnSignals(cancellation, actionReporter);
  try {
    markStarted();
    maskIndexCredentials();
    const { config, warnings, notices } = loadActionConfig();
    for (const notice of notices) actionReporter.info(notice);
    for (const warning of warnings) core.warning(warning);
    saveCredentialSettings(config.aws);
    const idToken = oidcTokenSource();
    result = await sync(config, actionReporter, {
      saveState,
      signal: cancellation.signal,
      ...(idToken && { idToken }),
    });
  } catch (error) {
    failure = error;
  } finally {
    stopListening();
  }
  // Outputs and summary are recorded before failing, so a failed run still says what it knew.
  if (result) {
    for (const [name, value] of Object.entries(outputsOf(result))) core.setOutput(name, value);
    await writeSummary(result);
  }
  if (failure !== undefined) core.setFailed(messageOf(failure));
  if (failure instanceof RunCancelled) process.exitCode = SIGNAL_EXIT_CODES[failure.reason] ?? 1;
}

/**
 * Masks the credentials of package index URLs in `pip-args` and in pip's and uv's environment variables before
 * anything is printed, a refused input's message included. Planning masks those of configuration files and netrc.
 */
function maskIndexCredentials(): void {
  const values = [core.getInput('pip-args')];
  for (const [name, value] of Object.entries(process.env)) if (/^(PIP|UV)_/.test(name) && value) values.push(value);
  for (const secret of values.flatMap(secretsIn)) core.setSecret(secret);
}

/** What the post step needs to get credentials again; never the credentials themselves. */
function saveCredentialSettings(aws: AwsConfig): void {
  if (!aws.roleToAssume) return;
  saveState('roleToAssume', aws.roleToAssume);
  saveState('roleSessionName', aws.roleSessionName);
  saveState('roleDurationSeconds', String(aws.roleDurationSeconds));
  saveState('audience', aws.audience);
}

export function messageOf(error: unknown): string {
  if (error instanceof Error && process.env.SHOW_STACK_TRACE === 'true' && error.stack) core.debug(error.stack);
  return explainAwsError(error);
}
