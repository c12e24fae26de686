/**
 * What one run carries from phase to phase: its id, the AWS context, the staging location, the clock for each phase,
 * and the cleanup that must happen whatever the outcome (idempotent, newest first, never hiding the main error).
 */
import { randomBytes } from 'node:crypto';
import type { AwsContext } from '../aws/client-config.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../report.js';
import type { Phase, Stats } from './result.js';

export interface RunHooks {
  /** Records a resource id or setting for the post step the moment it exists (core.saveState on a runner). */
  saveState?: (key: string, value: string) => void;
  /** The job's OIDC token for an audience (core.getIDToken on a runner). */
  idToken?: (audience: string) => Promise<string>;
}

export function newRunId(now = new Date()): string {
  const run =
    process.env.GITHUB_RUN_ID && /^\d+$/.test(process.env.GITHUB_RUN_ID) ? `${process.env.GITHUB_RUN_ID}-` : '';
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${run}${stamp}-${randomBytes(3).toString('hex')}`;
}

export class Cleanup {
  private readonly tasks: { name: string; task: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, task: () => Promise<void>): void {
    this.tasks.push({ name, task });
  }

  /** Runs every task once, newest first; a failing task is reported and the others still run. */
  run(report: (message: string) => void): Promise<void> {
    this.running ??= (async () => {
      for (const { name, task } of [...this.tasks].reverse()) {
        try {
          await task();
        } catch (error) {
          report(`Cleanup step "${name}" failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}

export interface RunContext {
  runId: string;
  config: Config;
  reporter: Reporter;
  hooks: RunHooks;
  aws: AwsContext;
  bucket: string;
  /** e.g. efsync/runs/<run-id>/ */
  runPrefix: string;
  /** Seconds every presigned URL and the remote command may live: the run's budget. */
  budgetSeconds: number;
  stats: Stats;
  cleanup: Cleanup;
  deadline: number;
}

export async function timed<T>(stats: Stats, phase: Phase, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    stats.seconds[phase] = Math.round((stats.seconds[phase] + (Date.now() - started) / 1000) * 1000) / 1000;
  }
}
