// What every fault case checks after its run: the exit code and one clear error, no instance left running, no staged
// run objects, the target serving its previous release byte for byte, and no secret anywhere the runner keeps.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { LocalAws } from '../../testbed/client.ts';
import { sha256 } from '../support/hash.ts';
import type { StepResult } from '../support/run-action.ts';
import { leftovers, readTree } from './support.ts';

export interface Row {
  group: string;
  name: string;
  expected: string;
  observed: string;
}

export const rows: Row[] = [];

export function printTable(): void {
  const widths = [5, 44, 40].map((w, i) =>
    Math.max(w, ...rows.map((r) => [r.group, r.name, r.expected][i]?.length ?? 0)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  const out = [
    `${line(['group', 'case', 'expected'])} | observed`,
    ...rows.map((r) => `${line([r.group, r.name, r.expected])} | ${r.observed}`),
  ];
  process.stdout.write(`\nFault cases (${rows.length}):\n${out.join('\n')}\n`);
}

/** A step of the action, or a program's call of the API (whose thrown error is its one error). */
export type Outcome = StepResult & { errors?: string[]; outputs?: Record<string, string> };

/** What a step's outcome was, in the table's words: "published", "no change", or "failed: <the error>". */
export function outcome(step: Outcome): string {
  // The action reports an error as one ::error:: line, its own line breaks written %0A.
  const errors =
    step.errors?.map((message) => message.split('\n')[0] ?? '') ??
    step.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error::'))
      .map((l) => l.replace('::error::', '').split('%0A')[0] ?? '');
  if (step.status === 0) {
    const changed = step.errors ? step.outputs?.changed === 'true' : /changed<<(\S+)\ntrue/.test(step.output);
    return changed ? 'published' : 'no change';
  }
  return `failed (exit ${step.status}, ${errors.length} error${errors.length === 1 ? '' : 's'}): ${(errors[0] ?? step.stderr.split('%0A')[0])?.slice(0, 160)}`;
}

export interface Served {
  link: string;
  /** Path → sha256 of the content (digests keep a failed comparison small). */
  files: Record<string, string>;
}

export function served(aws: LocalAws, target: string): Served {
  const root = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
  const files = Object.entries(readTree(path.join(root, target))).map(([name, data]) => [name, sha256(data)]);
  return { link: fs.readlinkSync(path.join(root, target)), files: Object.fromEntries(files) };
}

const SECRET_PATTERNS = [
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/,
  /X-Amz-Signature/i,
  /X-Amz-Credential/i,
  /X-Amz-Security-Token/i,
  /eyJ[\w-]{10,}\.eyJ[\w-]{10,}/,
];

/** No value the action masked, and nothing shaped like a credential, token or presigned URL, outside the mask commands. */
export function expectNoSecrets(aws: LocalAws, ...steps: StepResult[]): void {
  const masked = steps.flatMap((s) => [...s.stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1] ?? ''));
  const kept = steps
    .flatMap((s) => [s.stdout.replace(/^::add-mask::.*$/gm, ''), s.stderr, s.output, s.state, s.summary])
    .join('\n');
  for (const secret of [...masked.filter((m) => m.length >= 8), aws.info.oidcToken])
    expect(kept.includes(secret), `a masked value leaked: ${secret.slice(0, 6)}…`).toBe(false);
  for (const pattern of SECRET_PATTERNS) expect(kept, `nothing matches ${pattern}`).not.toMatch(pattern);
}

/** The invariants after a run; `intact` is what the target must still serve when the run failed. */
export async function expectClean(aws: LocalAws, steps: StepResult[], target: string, intact?: Served): Promise<void> {
  expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
  if (intact) expect(served(aws, target)).toEqual(intact);
  expectNoSecrets(aws, ...steps);
}

export function record(group: string, name: string, expected: string, step: Outcome): string {
  const observed = outcome(step);
  rows.push({ group, name, expected, observed });
  return observed;
}
