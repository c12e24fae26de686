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
export declare function newRunId(now?: Date): string;
export declare class Cleanup {
    private readonly tasks;
    private running;
    add(name: string, task: () => Promise<void>): void;
    /** Runs every task once, newest first; a failing task is reported and the others still run. */
    run(report: (message: string) => void): Promise<void>;
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
export declare function timed<T>(stats: Stats, phase: Phase, work: () => Promise<T>): Promise<T>;
