/**
 * The `efsync` command: the action's inputs as flags (--file-system-id fs-…), or --config efsync.yaml with
 * flags winning over its keys. Logs go to stderr; the outputs go to stdout as one JSON object.
 */
import { parseArgs } from 'node:util';
import packageJson from '../../package.json' with { type: 'json' };
import { explainAwsError } from '../aws/errors.js';
import { collectInputs, INPUT_NAMES } from '../config/inputs.js';
import { loadConfig } from '../config/load.js';
import { outputsOf } from '../core/outputs.js';
import { consoleReporter } from '../core/reporter.js';
import { inertJson } from '../core/untrusted.js';
import { RunCancelled } from '../remote/context.js';
import { sync } from '../run/engine.js';
import { cancelOnSignals, SIGNAL_EXIT_CODES } from '../run/signals.js';
import { BOOLEAN_INPUTS, closestFlag, helpText, readActionYml } from './help.js';

/** `--dry-run` alone means true, `--no-delete` means --delete false, as a person types them. */
export function normalizeSwitches(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const negated = BOOLEAN_INPUTS.find((name) => arg === `--no-${name}`);
    if (negated) {
      out.push(`--${negated}`, 'false');
      continue;
    }
    out.push(arg);
    const next = argv[i + 1];
    if (BOOLEAN_INPUTS.some((name) => arg === `--${name}`) && (next === undefined || next.startsWith('--'))) {
      out.push('true');
    }
  }
  return out;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(INPUT_NAMES.map((name) => [name, { type: 'string' as const }]));
    ({ values } = parseArgs({
      args: normalizeSwitches(argv),
      options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const guess = unknown === undefined ? undefined : closestFlag(unknown);
    consoleReporter.info(
      `efsync: ${message.replace(/\.$/, '')}${guess ? ` (did you mean ${guess}?)` : ''}. Run efsync --help for the flags.`,
    );
    return 2;
  }
  if (values.help) {
    console.log(helpText(readActionYml()).trimEnd());
    return 0;
  }
  if (values.version) {
    console.log(`efsync ${packageJson.version}`);
    return 0;
  }
  const cancellation = new AbortController();
  const stopListening = cancelOnSignals(cancellation, consoleReporter);
  try {
    const inputs = collectInputs((name) => values[name] as string | undefined, 'flag', false);
    const { config, warnings, notices } = loadConfig({
      inputs,
      style: 'flag',
      workspace: env.GITHUB_WORKSPACE || process.cwd(),
      env,
    });
    for (const notice of notices) consoleReporter.info(notice);
    for (const warning of warnings) consoleReporter.warning(warning);
    const result = await sync(config, consoleReporter, { signal: cancellation.signal });
    console.log(inertJson(outputsOf(result)));
    return 0;
  } catch (error) {
    consoleReporter.info(`efsync: ${explainAwsError(error)}`);
    return error instanceof RunCancelled ? (SIGNAL_EXIT_CODES[error.reason] ?? 1) : 1;
  } finally {
    stopListening();
  }
}
