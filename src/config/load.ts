/**
 * Loads the configuration once, for every entry point: the user's values, then an efsync.yaml if `config` names
 * one, then the defaults; parsed, validated, and returned with the warnings and notices it deserves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readEfsyncYaml } from './efsync-yaml.js';
import { type InputName, type InputValues, type LabelStyle, layer } from './inputs.js';
import { parseInputs } from './parse.js';
import { Problems, quote } from './problems.js';
import { workspacePath } from './rules.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';
import { confineToWorkspace } from './workspace.js';

export interface LoadOptions {
  /** What the user set; anything left out takes the efsync.yaml key, then the default. */
  inputs: InputValues;
  style: LabelStyle;
  workspace: string;
  env: Readonly<Record<string, string | undefined>>;
  today?: Date;
  /** Where no named profiles exist (a runner): an efsync.yaml's aws_profile is noted and left out. */
  ignoreProfile?: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** Things to fix soon, e.g. a deprecated runtime: shown as warnings. */
  warnings: string[];
  /** How an efsync.yaml key was taken: shown as plain log lines. */
  notices: string[];
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const { inputs, style, workspace, env } = options;
  const problems = new Problems();
  let fileValues: InputValues = {};
  let profile: string | undefined;
  let notices: string[] = [];
  let configFile: string | undefined;

  const configInput = inputs.config;
  if (configInput) {
    configFile = workspacePath(problems, configInput.label, workspace, configInput.value, 'efsync.yaml');
    const text =
      configFile === undefined || !confineToWorkspace(problems, configInput.label, workspace, configFile)
        ? undefined
        : readConfigFile(problems, configInput.label, workspace, configFile);
    if (text !== undefined && configFile !== undefined) {
      const file = readEfsyncYaml(problems, configFile, text);
      fileValues = file.values;
      notices = file.notices;
      profile = file.profile;
      if (profile !== undefined && options.ignoreProfile) {
        // A runner has no named profiles: credentials come from OIDC or the job's environment.
        notices.push(`aws_profile ${profile} is used by the CLI and the API only; the action ignores it.`);
        profile = undefined;
      }
    }
  }
  problems.throwIfAny();

  const merged = layer(style, inputs, fileValues);
  const context = {
    workspace,
    env,
    ...(profile !== undefined && { profile }),
    ...(configFile !== undefined && { configFile }),
  };
  const config = parseInputs(merged, context, problems);
  const label = (name: InputName) => merged[name].label;
  const warnings = validateConfig(config, label, options.today, problems);
  return { config, warnings, notices };
}

function readConfigFile(problems: Problems, label: string, workspace: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(workspace, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    problems.add(
      label,
      `${quote(file)} ${why} in the workspace. Write the path of your efsync.yaml, e.g. efsync.yaml.`,
    );
    return undefined;
  }
}
