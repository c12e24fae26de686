/**
 * What one run carries from phase to phase: its id, its AWS clients, the staging location, the clock for each phase,
 * the resources it has made (recorded the moment they exist), and the cleanup that must happen whatever the outcome
 * (idempotent, newest first, never hiding the main error).
 */
import { randomBytes } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import type { IdTokenSource } from '../aws/credentials.js';
import type { Config } from '../config/types.js';
import { EfsyncError, errorMessage } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import type { Phase, Stats } from '../core/result.js';
import type { RunRecord, StateKey } from '../core/state-keys.js';

export interface RunHooks {
  /** Records a resource id or setting for the post step the moment it exists (core.saveState on a runner). */
  saveState?: (key: StateKey, value: string) => void;
  /** The job's OIDC token for an audience (core.getIDToken on a runner); needed for role-to-assume. */
  idToken?: IdTokenSource;
  /**
   * Cancels the run when aborted: its teardown runs at once (the instance is terminated first), and the run then
   * rejects with a RunCancelled. The action and the CLI abort it on SIGINT and SIGTERM.
   */
  signal?: AbortSignal;
  /**
   * Upper bounds of two waits, in seconds. By default they follow timeout-minutes: SSM Online within a fifth of it
   * (60 s to 10 min), the file system lock held by another run within a tenth (30 s to 15 min).
   */
  waits?: { onlineSeconds?: number; lockSeconds?: number };
}

/** The run's waits, from its budget unless the caller set them. */
export function waitsFor(budgetSeconds: number, hooks: RunHooks): { onlineSeconds: number; lockSeconds: number } {
  return {
    // SSM usually has a new instance within 1-2 minutes; a fifth of the run's budget, at most 10, is plenty.
    onlineSeconds: hooks.waits?.onlineSeconds ?? Math.min(600, Math.max(60, Math.floor(budgetSeconds / 5))),
    lockSeconds: hooks.waits?.lockSeconds ?? Math.min(900, Math.max(30, Math.floor(budgetSeconds / 10))),
  };
}

export class RunCancelled extends EfsyncError {
  /** What cancelled it: the signal's name for the action and the CLI (SIGINT, SIGTERM). */
  readonly reason: string;

  constructor(reason: string) {
    super(`The run was cancelled (${reason}); what it had started was cleaned up.`);
    this.reason = reason;
  }
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

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs every task once, newest first; a failing task is reported and the others still run. */
  run(report: (message: string) => void): Promise<void> {
    this.running ??= (async () => {
      for (const { name, task } of [...this.tasks].reverse()) {
        try {
          await task();
        } catch (error) {
          report(`Cleanup step "${name}" failed: ${errorMessage(error)}`);
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
  clients: AwsClients;
  bucket: string;
  /** e.g. efsync/runs/<run-id>/ */
  runPrefix: string;
  /** Seconds every presigned URL and the remote command may live: the run's budget. */
  budgetSeconds: number;
  stats: Stats;
  cleanup: Cleanup;
  deadline: number;
  /** What the run has made so far, as the teardown reads it. */
  record: RunRecord;
}

/** Records a resource the moment it exists: for this run's teardown, and for the post step. */
export function remember(ctx: RunContext, key: StateKey, value: string): void {
  ctx.record[key] = value;
  ctx.hooks.saveState?.(key, value);
}

/** The run is about to stage: from here on teardown must know its id and where its objects go. */
export function willStage(ctx: RunContext): void {
  remember(ctx, 'runId', ctx.runId);
  remember(ctx, 'stagingBucket', ctx.bucket);
  remember(ctx, 'runPrefix', ctx.runPrefix);
}

/** A resource that needs no teardown any more (a command that has ended, say). */
export function forget(ctx: RunContext, key: StateKey): void {
  delete ctx.record[key];
  ctx.hooks.saveState?.(key, '');
}

/** Stops at a phase boundary once the run was cancelled, so nothing new is started after its teardown. */
export function throwIfCancelled(hooks: RunHooks): void {
  const { signal } = hooks;
  if (signal?.aborted) throw new RunCancelled(String(signal.reason ?? 'aborted'));
}

export async function timed<T>(stats: Stats, phase: Phase, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    stats.seconds[phase] = Math.round((stats.seconds[phase] + (Date.now() - started) / 1000) * 1000) / 1000;
  }
}
