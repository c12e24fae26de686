/** What a run reports: per target, per phase, and the outputs' raw material. */
import type { TargetKind, TargetPath } from './targets.js';
export declare const PHASES: readonly ["plan", "stage", "instance", "remote", "cleanup"];
export type Phase = (typeof PHASES)[number];
export interface Counts {
    added: number;
    changed: number;
    deleted: number;
}
export interface Stats {
    files: Counts;
    bytes: Counts & {
        uploaded: number;
    };
    seconds: Record<Phase, number>;
}
export interface TargetReport {
    kind: TargetKind;
    target: string;
    status: 'published' | 'unchanged' | 'rolled-back' | 'planned';
    releaseId: string;
    files: Counts;
    bytes: Counts;
}
export declare const INSTANCE_SOURCES: readonly ["launched", "reused", "borrowed"];
export type InstanceSource = (typeof INSTANCE_SOURCES)[number];
export interface SyncResult {
    /** True when a new release was published (or a rollback switched one). */
    changed: boolean;
    /** What wrote the file system: the writer function or an instance; absent when nothing needed writing. */
    engine?: 'lambda' | 'instance';
    /** The writer function that wrote, when it was the function. */
    functionName?: string;
    instanceId?: string;
    /** Where the instance came from: launched by this run, a warm one reused, or the user's own (instance-id). */
    instanceSource?: InstanceSource;
    /** ISO time until which the instance stays warm for the next run (keep-warm), when it does. */
    warmUntil?: string;
    paths: TargetPath[];
    /** Release id serving each target, by target. */
    releaseIds: Record<string, string>;
    stats: Stats;
    targets: TargetReport[];
    /** The plan, as the lines that were printed. */
    plan: string[];
    /** For the Lambda wiring in the summary. */
    lambda: {
        mountPath: string;
        accessPointArn?: string;
    };
}
export declare function emptyStats(): Stats;
