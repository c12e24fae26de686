/**
 * `efsync --help`: every flag with its description and default, read from the action.yml shipped with the package
 * (one source for the action and the command), in the groups of its `inputs:` comments, which the README's inputs
 * table follows; then the exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { INPUT_DEFAULTS, INPUT_NAMES, type InputName } from '../config/inputs.js';

export interface InputDoc {
  name: string;
  description: string;
  default: string;
}

export interface InputGroup {
  title: string;
  inputs: InputDoc[];
}

/** The switches: `--dry-run` alone means true, `--no-delete` means false. */
export const BOOLEAN_INPUTS: InputName[] = ['delete', 'force', 'dry-run'];

export const EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'published, nothing to publish (a no-op), a dry run, --help or --version'],
  [1, 'the run failed: a bad input or configuration (named, before any AWS call), AWS refusing, the instance failing'],
  [2, 'the command line is wrong: an unknown flag, a flag without its value, a stray argument'],
  [130, 'cancelled by SIGINT (Ctrl-C), after the teardown (instance terminated, staged run deleted)'],
  [143, 'cancelled by SIGTERM, after the same teardown'],
];

/**
 * The action.yml beside the code: dist/cli/index.js and src/cli/help.ts are both two folders below the package
 * root, where action.yml is (the package's `files` include it). Undefined when it is missing.
 */
export function readActionYml(): string | undefined {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'action.yml');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The inputs of an action.yml, in its order, grouped by the `  # Title` comment lines between them. */
export function inputGroups(actionYml: string): InputGroup[] {
  const inputs = (parse(actionYml) as { inputs?: Record<string, { description?: string; default?: string }> }).inputs;
  const groups: InputGroup[] = [];
  let inInputs = false;
  for (const line of actionYml.split('\n')) {
    if (/^\S/.test(line)) inInputs = line.startsWith('inputs:');
    if (!inInputs) continue;
    const comment = /^ {2}# (.+)$/.exec(line);
    if (comment) groups.push({ title: (comment[1] ?? '').trim(), inputs: [] });
    const key = /^ {2}([a-z0-9-]+):\s*$/.exec(line)?.[1];
    if (key === undefined) continue;
    if (groups.length === 0) groups.push({ title: 'Inputs.', inputs: [] });
    const input = inputs?.[key];
    groups[groups.length - 1]?.inputs.push({
      name: key,
      description: (input?.description ?? '').trim().replace(/\s+/g, ' '),
      default: String(input?.default ?? ''),
    });
  }
  return groups.filter((group) => group.inputs.length > 0);
}

/** Words of `text` in lines of at most `width` characters, each starting with `indent`. */
export function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function flagLine({ name, default: value }: InputDoc): string {
  const switchHint = (BOOLEAN_INPUTS as string[]).includes(name) ? ` [true|false], --no-${name}` : ' <value>';
  return `  --${name}${switchHint}${value ? `  (default: ${value})` : ''}`;
}

/** Without an action.yml beside the code, the flags and defaults the code knows, without descriptions. */
function fallbackGroups(): InputGroup[] {
  return [
    {
      title: 'Inputs (their descriptions are in action.yml, which is missing beside this copy).',
      inputs: INPUT_NAMES.map((name) => ({ name, description: '', default: INPUT_DEFAULTS[name] })),
    },
  ];
}

export function helpText(actionYml: string | undefined): string {
  const groups = actionYml === undefined ? fallbackGroups() : inputGroups(actionYml);
  const out = [
    'Usage: efsync [--config efsync.yaml] [--<input> <value> ...]',
    '       efsync --help | --version',
    '',
    ...wrap(
      'Publishes Python dependencies, workspace files and S3 objects onto AWS EFS, as the efsync GitHub Action ' +
        'does. Every action input is a flag of the same name; flags win over the keys of --config. Logs go to ' +
        'stderr, the outputs to stdout as one JSON object. Credentials come from the AWS SDK default chain ' +
        '(AWS_PROFILE, environment variables, SSO).',
      '',
    ),
  ];
  for (const group of groups) {
    out.push('', group.title.replace(/\.$/, ':'));
    for (const input of group.inputs) out.push(flagLine(input), ...wrap(input.description, '      '));
  }
  out.push('', 'Exit codes:');
  for (const [code, meaning] of EXIT_CODES) {
    const [first = '', ...rest] = wrap(meaning, '       ');
    out.push(`  ${String(code).padEnd(5)}${first.trimStart()}`, ...rest);
  }
  return `${out.join('\n')}\n`;
}

/** The flag a mistyped one most likely meant: the input that contains it or is contained, or is 2 edits away. */
export function closestFlag(typed: string): string | undefined {
  const word = typed.replace(/^-+/, '').split('=')[0] ?? '';
  if (word.length < 3) return undefined;
  const names = [...INPUT_NAMES, 'help', 'version'];
  const hit =
    names.find((name) => name.startsWith(word) || word.startsWith(name)) ??
    names.find((name) => editDistance(name, word) <= 2);
  return hit === undefined ? undefined : `--${hit}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
