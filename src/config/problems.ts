import { EfsyncError } from '../core/errors.js';

/** Input problems are collected, not thrown one by one, so a user fixes all of them in one round. */

export interface Problem {
  /** Where the value came from, e.g. "input 'python-version'" or "'python_version' in efsync.yaml". */
  label: string;
  message: string;
}

export class ConfigError extends EfsyncError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function formatProblems(problems: readonly Problem[]): string {
  const lines = problems.map((p) => `${capitalize(p.label)}: ${p.message}`);
  if (lines.length === 1) return lines[0] ?? '';
  return `${lines.length} problems with the configuration:\n${lines.map((l) => `- ${l}`).join('\n')}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class Problems {
  readonly list: Problem[] = [];

  add(label: string, message: string): void {
    this.list.push({ label, message });
  }

  /** Throws one ConfigError naming every problem found, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}

/** Quotes a user's value for a message, cut short so that a pasted blob cannot flood the log. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `'${shown.replace(/[\r\n]+/g, '\\n')}'`;
}
