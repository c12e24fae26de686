/**
 * Turns layered input strings into a typed Config. Only the syntax is checked here (booleans, numbers, choices,
 * lists, URIs); what the values mean is checked by validate.ts, which the API's typed Config passes through too.
 */
import path from 'node:path';
import { parseArgsStringToArgv } from 'string-argv';
import { AUTO } from '../core/instance-size.js';
import { stripUrlCredentials } from '../core/url-credentials.js';
import { INPUT_DEFAULTS, type InputName, type InputValue } from './inputs.js';
import { type Problems, quote } from './problems.js';
import { parseS3Uri } from './rules.js';
import { readAutoBoolean, readBoolean, readChoice, readInteger, readList } from './scalars.js';
import { ARCHITECTURES, type Config, ENGINES, INSTALLERS, MODES } from './types.js';

export interface ParseContext {
  workspace: string;
  env: Readonly<Record<string, string | undefined>>;
  /** From efsync.yaml `aws_profile`: not an action input, since a runner has no profiles. */
  profile?: string;
  configFile?: string;
}

/**
 * Parses every input. A value that cannot be read is recorded in `problems` and replaced by its default, so that
 * validation still runs over the rest and the user hears of every problem at once.
 */
export function parseInputs(inputs: Record<InputName, InputValue>, context: ParseContext, problems: Problems): Config {
  const get = (name: InputName): string => inputs[name].value;
  const label = (name: InputName): string => inputs[name].label;
  const bool = (name: InputName) => readBoolean(problems, label(name), get(name)) ?? INPUT_DEFAULTS[name] === 'true';
  const int = (name: InputName) => readInteger(problems, label(name), get(name)) ?? Number(INPUT_DEFAULTS[name]);
  const choice = <T extends string>(name: InputName, choices: readonly T[]) =>
    readChoice(problems, label(name), get(name), choices) ?? (INPUT_DEFAULTS[name] as T);

  const mode = choice('mode', MODES);
  const region = get('aws-region') || context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION || '';
  const config: Config = {
    mode,
    workspace: context.workspace,
    aws: {
      region,
      roleSessionName: get('role-session-name'),
      roleDurationSeconds: int('role-duration-seconds'),
      audience: get('audience'),
      ...when('roleToAssume', get('role-to-assume')),
      ...when('profile', context.profile),
    },
    fileSystem: {
      id: get('file-system-id'),
      securityGroupIds: readList(get('security-group-ids')),
      stack: get('stack'),
      instanceProfile: get('instance-profile') || `${get('stack')}-instance`,
      instanceTypes: readInstanceTypes(problems, label('instance-type'), get('instance-type')),
      lambdaMountPath: get('lambda-mount-path').replace(/(.)\/+$/, '$1'),
      ...when('accessPointId', get('access-point-id')),
      ...when('subnetId', get('subnet-id')),
      ...when('writerFunction', get('writer-function')),
    },
    staging: {
      prefix: get('staging-prefix').replace(/([^/])$/, '$1/'),
      ...when('bucket', get('staging-bucket')),
    },
    delete: bool('delete'),
    keepReleases: int('keep-releases'),
    keepReleasesMinutes: int('keep-releases-minutes'),
    force: bool('force'),
    dryRun: bool('dry-run'),
    timeoutMinutes: int('timeout-minutes'),
    engine: choice('engine', ENGINES),
    ...(get('keep-warm') !== '0' && { keepWarmMinutes: int('keep-warm') }),
    ...when('instanceId', get('instance-id')),
    ...when('configFile', context.configFile),
  };

  if (get('requirements')) {
    config.deps = {
      requirements: get('requirements'),
      pythonVersion: get('python-version'),
      architecture: choice('architecture', ARCHITECTURES),
      target: stripSlashes(get('pip-target')),
      pipArgs: splitArgs(problems, label('pip-args'), get('pip-args')),
      installer: choice('installer', INSTALLERS),
      compile: readAutoBoolean(problems, label('compile'), get('compile')) ?? 'auto',
      verifyImports: readAutoBoolean(problems, label('verify-imports'), get('verify-imports')) ?? 'auto',
      verifyImportsSkip: readList(get('verify-imports-skip')),
    };
  }
  if (get('local-dir')) {
    const dir = get('local-dir');
    const target = get('local-target') || path.basename(path.resolve(context.workspace, dir));
    config.local = { dir, target: stripSlashes(target) };
  }
  if (get('s3-source')) {
    const source = parseS3Uri(problems, label('s3-source'), get('s3-source'));
    if (source) {
      const target = get('s3-target') || source.prefix.split('/').filter(Boolean).pop() || source.bucket;
      config.s3 = { source, target: stripSlashes(target) };
    }
  }
  return config;
}

/** `auto` alone is the empty list: the type is chosen from the run's bytes (core/instance-size.ts). */
function readInstanceTypes(problems: Problems, label: string, value: string): string[] {
  const types = readList(value);
  const auto = types.filter((type) => type.toLowerCase() === AUTO);
  if (auto.length === 0) return types;
  if (types.length > 1)
    problems.add(label, `${quote(value)} mixes auto with instance types. Write auto alone, or only instance types.`);
  return [];
}

/** An optional property, present only when it has a value (exactOptionalPropertyTypes forbids undefined). */
function when<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value ? ({ [key]: value } as { [P in K]: string }) : {};
}

function stripSlashes(target: string): string {
  return target.replace(/(.)\/+$/, '$1');
}

/** pip-args are split like a shell would split words, but nothing is expanded and no shell ever runs them. */
function splitArgs(problems: Problems, label: string, value: string): string[] {
  if ((value.match(/(?<!\\)"/g)?.length ?? 0) % 2 === 1 || (value.match(/'/g)?.length ?? 0) % 2 === 1) {
    problems.add(
      label,
      `${quote(stripUrlCredentials(value))} has an unclosed quote. Close it, or write the arguments without quotes.`,
    );
    return [];
  }
  return parseArgsStringToArgv(value);
}
