/**
 * The action's inputs by name, with the defaults action.yml declares (a test keeps the two identical), and the
 * layering of the places a value can come from: what the user set, then the efsync.yaml, then the default.
 */

export const INPUT_DEFAULTS = {
  'aws-region': '',
  'role-to-assume': '',
  'role-session-name': 'efsync',
  'role-duration-seconds': '3600',
  audience: 'sts.amazonaws.com',
  'file-system-id': '',
  'access-point-id': '',
  'subnet-id': '',
  'security-group-ids': '',
  stack: 'efsync',
  'instance-profile': '',
  'instance-type': 'auto',
  'lambda-mount-path': '/mnt/efs',
  requirements: '',
  'python-version': '3.13',
  architecture: 'x86_64',
  'pip-target': 'lib',
  'pip-args': '',
  installer: 'auto',
  compile: 'auto',
  'verify-imports': 'auto',
  'verify-imports-skip': '',
  'local-dir': '',
  'local-target': '',
  's3-source': '',
  's3-target': '',
  'staging-bucket': '',
  'staging-prefix': 'efsync/',
  delete: 'true',
  'keep-releases': '3',
  'keep-releases-minutes': '1440',
  force: 'false',
  'dry-run': 'false',
  'timeout-minutes': '60',
  'keep-warm': '0',
  'instance-id': '',
  engine: 'auto',
  'writer-function': '',
  config: '',
  mode: 'sync',
} as const;

export type InputName = keyof typeof INPUT_DEFAULTS;
export const INPUT_NAMES = Object.keys(INPUT_DEFAULTS) as InputName[];

/** One value with the words that name where it came from in an error message, e.g. "input 'mode'". */
export interface InputValue {
  value: string;
  label: string;
}

export type InputValues = Partial<Record<InputName, InputValue>>;

/** Labels name a value the way the user wrote it: an action input, a CLI flag, an API option or a file key. */
export type LabelStyle = 'input' | 'flag' | 'option';

export function labelFor(name: InputName, style: LabelStyle = 'input'): string {
  switch (style) {
    case 'flag':
      return `--${name}`;
    case 'option':
      return `option '${name}'`;
    default:
      return `input '${name}'`;
  }
}

/**
 * Collects what the user set. `getInput` returns '' for an input not given. The runner passes every default
 * along as if it were set, so with `ignoreDefaults` a value equal to its default counts as not set, and a key of
 * the config file can fill it.
 */
export function collectInputs(
  getInput: (name: InputName) => string | undefined,
  style: LabelStyle,
  ignoreDefaults: boolean,
): InputValues {
  const values: InputValues = {};
  for (const name of INPUT_NAMES) {
    const value = (getInput(name) ?? '').trim();
    if (value === '' || (ignoreDefaults && value === INPUT_DEFAULTS[name])) continue;
    values[name] = { value, label: labelFor(name, style) };
  }
  return values;
}

/** Layers values: the first layer that has a name wins; the default fills the rest. */
export function layer(style: LabelStyle, ...layers: InputValues[]): Record<InputName, InputValue> {
  const merged = {} as Record<InputName, InputValue>;
  for (const name of INPUT_NAMES) {
    const found = layers.find((values) => values[name] !== undefined)?.[name];
    merged[name] = found ?? { value: INPUT_DEFAULTS[name], label: labelFor(name, style) };
  }
  return merged;
}
