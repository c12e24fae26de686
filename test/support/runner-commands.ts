/**
 * How the GitHub Actions runner reads a step's stdout for workflow commands, for tests that feed it what the action
 * really printed. Each rule is the runner's (actions/runner at 258d6c8, the lines cited), and where .NET's reading
 * could be looser than JavaScript's, this one is looser still, so a test that passes here passes on the runner:
 *
 * - Lines: StreamReader.ReadLine ends a line at `\n`, `\r` or `\r\n` (src/Runner.Sdk/ProcessInvoker.cs:513).
 * - A line is looked at for a command only when it holds `##[` or `::` (src/Runner.Worker/Handlers/OutputManager.cs:
 *   82-83), else it is output (:169).
 * - TryParseV2 (src/Runner.Common/ActionCommand.cs:51-119): TrimStart, then `::` at the start (:62-63), the command
 *   info up to the next `::` (:69), its name up to a space (:80-84) and registered (:86), `name=value` properties
 *   split on `,` (:96-108), the rest is the data, unescaped (:111). TryParse, the deprecated form (:121-189): `##[`
 *   anywhere in the line (:132), info up to `]`, properties split on `;`. V2 is tried first
 *   (src/Runner.Worker/ActionCommandManager.cs:70-71).
 * - Both use .NET's culture-sensitive StartsWith/IndexOf, which can pass over ignorable characters (a soft hyphen, a
 *   zero-width space, control characters) and may take a compatibility character for its plain one: here a line
 *   is parsed as it is, with those removed, and in NFKC with those removed; any reading that finds a command counts.
 * - stop-commands (ActionCommandManager.cs:86-124): `::stop-commands::T` stops every command until a command named
 *   T; while stopped, any other command line is only output (:99-103). T is registered while stopped (:115) and
 *   masked when longer than 6 characters (:116-119).
 * - add-mask (ActionCommandManager.cs:420-451) adds a secret, and each of its lines; every output line is masked.
 * - The registered commands: the stop command and the command extensions (ActionCommandManager.cs:34-46).
 */

const REGISTERED = [
  'stop-commands',
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
];

export interface RunnerCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
  /** The line it was read in, as printed. */
  line: string;
}

export interface RunnerReading {
  /** Every command the runner acted on, the stop and resume of stop-commands included. */
  commands: RunnerCommand[];
  /** warning, error and notice commands: the annotations the run shows. */
  annotations: RunnerCommand[];
  /** The log as shown: each output line after masking. */
  log: string[];
  /** Values added with add-mask. */
  masks: string[];
}

/** ICU passes over these in culture-sensitive matching; a reading without them is tried too. */
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;

const unescapeWith = (value: string, mappings: [string, string][]) =>
  mappings.reduce((text, [escaped, plain]) => text.replaceAll(escaped, plain), value);
const DATA: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%'],
];
const PROPERTY: [string, string][] = [['%3A', ':'], ['%2C', ','], ...DATA];
const LEGACY: [string, string][] = [['%3B', ';'], ['%5D', ']'], ...DATA];

function parseV2(line: string, registered: Set<string>): RunnerCommand | undefined {
  // .NET's TrimStart trims Char.IsWhiteSpace; JavaScript's trimStart trims those and U+FEFF: looser, as wanted.
  const message = line.trimStart();
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const head = commandHead(message.slice(2, end), registered, (rest) => rest.trim().split(','), PROPERTY);
  return head && { ...head, data: unescapeWith(message.slice(end + 2), DATA), line };
}

/**
 * The command name and properties of a command's head ("name key=value,…" or, legacy, "name key=value;…"), or
 * undefined when the name is not a registered command.
 */
function commandHead(
  info: string,
  registered: Set<string>,
  pairs: (rest: string) => string[],
  escapes: Parameters<typeof unescapeWith>[1],
): { command: string; properties: Record<string, string> } | undefined {
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!registered.has(command.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of pairs(info.slice(space + 1)).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescapeWith(pair.slice(eq + 1), escapes);
    }
  }
  return { command, properties };
}

function parseLegacy(line: string, registered: Set<string>): RunnerCommand | undefined {
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const rb = line.indexOf(']', prefix);
  if (rb < 0) return undefined;
  const head = commandHead(line.slice(prefix + 3, rb), registered, (rest) => rest.split(';'), LEGACY);
  return head && { ...head, data: unescapeWith(line.slice(rb + 1), LEGACY), line };
}

function parse(line: string, registered: Set<string>): RunnerCommand | undefined {
  const readings = [line, line.replace(IGNORABLE, ''), line.normalize('NFKC').replace(IGNORABLE, '')];
  for (const reading of new Set(readings)) {
    if (!reading.includes('##[') && !reading.includes('::')) continue;
    const found = parseV2(reading, registered) ?? parseLegacy(reading, registered);
    if (found) return { ...found, line };
  }
  return undefined;
}

/** What the runner makes of a step's output: the commands it honours, the annotations, the masked log. */
export function readAsRunner(output: string): RunnerReading {
  const registered = new Set(REGISTERED);
  const reading: RunnerReading = { commands: [], annotations: [], log: [], masks: [] };
  const mask = (line: string) =>
    [...reading.masks]
      .sort((a, b) => b.length - a.length)
      .reduce((text, secret) => text.replaceAll(secret, '***'), line);
  let stopToken: string | undefined;
  const lines = output.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const command = parse(line, registered);
    if (!command) {
      reading.log.push(mask(line));
      continue;
    }
    const name = command.command.toLowerCase();
    if (stopToken !== undefined) {
      if (name === stopToken.toLowerCase()) {
        reading.log.push(mask(line));
        registered.delete(name);
        stopToken = undefined;
        reading.commands.push(command);
      } else reading.log.push(mask(line));
      continue;
    }
    reading.commands.push(command);
    if (name === 'stop-commands') {
      if (command.data === '' || registered.has(command.data.toLowerCase())) throw new Error(`bad token in ${line}`);
      stopToken = command.data;
      registered.add(stopToken.toLowerCase());
      if (stopToken.length > 6) reading.masks.push(stopToken);
      reading.log.push(mask(line));
    } else if (name === 'add-mask') {
      for (const value of [command.data, ...command.data.split(/[\r\n]+/).map((v) => v.trim())])
        if (value.trim() !== '') reading.masks.push(value);
    } else if (['warning', 'error', 'notice'].includes(name)) {
      reading.annotations.push({ ...command, data: mask(command.data) });
    }
  }
  return reading;
}

/** Text a lock holder, a file name or an installer could carry: each line tries to command the runner. */
export const HOSTILE = [
  '::warning title=x::spoof',
  '::stop-commands::abc',
  '::add-mask::',
  '::add-mask::efsync',
  '##[error]legacy spoof',
  'before ##[warning]legacy mid-line',
  '  ::error::with leading spaces',
  '\t::notice::after a tab',
  'plain\r::warning::after a carriage return\r::set-output name=x::y',
  '\u00ad::warning::after a soft hyphen',
  ':\u200b:warning::split by a zero-width space',
  '::group::fake group',
  '::abc::',
  '::save-state name=instanceId::i-0attacker',
];
