import type { AwsClients } from '../aws/clients.js';
import type { IdTokenSource } from '../aws/credentials.js';
import type { Config } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
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
    waits?: {
        onlineSeconds?: number;
        lockSeconds?: number;
    };
}
/** The run's waits, from its budget unless the caller set them. */
export declare function waitsFor(budgetSeconds: number, hooks: RunHooks): {
    onlineSeconds: number;
    lockSeconds: number;
};
export declare class RunCancelled extends EfsyncError {
    /** What cancelled it: the signal's name for the action and the CLI (SIGINT, SIGTERM). */
    readonly reason: string;
    constructor(reason: string);
}
export declare function newRunId(now?: Date): string;
export declare class Cleanup {
    private readonly tasks;
    private running;
    add(name: string, task: () => Promise<void>): void;
    get started(): boolean;
    /** Runs every task once, newest first; a failing task is reported and the others still run. */
    run(report: (message: string) => void): Promise<void>;
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
export declare function remember(ctx: RunContext, key: StateKey, value: string): void;
/** The run is about to stage: from here on teardown must know its id and where its objects go. */
export declare function willStage(ctx: RunContext): void;
/** A resource that needs no teardown any more (a command that has ended, say). */
export declare function forget(ctx: RunContext, key: StateKey): void;
/** Stops at a phase boundary once the run was cancelled, so nothing new is started after its teardown. */
export declare function throwIfCancelled(hooks: RunHooks): void;
export declare function timed<T>(stats: Stats, phase: Phase, work: () => Promise<T>): Promise<T>;
