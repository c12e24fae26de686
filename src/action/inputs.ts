/** What the runner gives the action: its inputs (INPUT_* variables), read into a validated Config, and its OIDC token. */
import * as core from '@actions/core';
import type { IdTokenSource } from '../aws/credentials.js';
import { collectInputs, type InputName } from '../config/inputs.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';

export function loadActionConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  // The runner fills in every default, so an input equal to its default yields to a key of the config file.
  const inputs = collectInputs((name: InputName) => core.getInput(name), 'input', true);
  return loadConfig({
    inputs,
    style: 'input',
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    env,
    ignoreProfile: true,
  });
}

/**
 * The job's GitHub OIDC token, when the workflow grants one (`permissions: id-token: write`); undefined when the job
 * has no token to give, so that role-to-assume fails with the fix instead.
 */
export function oidcTokenSource(env: NodeJS.ProcessEnv = process.env): IdTokenSource | undefined {
  return env.ACTIONS_ID_TOKEN_REQUEST_URL ? (audience) => core.getIDToken(audience) : undefined;
}
