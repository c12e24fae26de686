/** Reads the action's inputs the way the runner passes them (INPUT_* variables) into a validated Config. */
import * as core from '@actions/core';
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
