import type { Config } from './config/types.js';
import { type TargetPath } from './paths.js';
import { type Reporter } from './report.js';
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
export interface SyncResult {
    /** True when a new release was published. */
    changed: boolean;
    instanceId?: string;
    paths: TargetPath[];
    /** Release id serving each target, by target. */
    releaseIds: Record<string, string>;
    stats: Stats;
    /** The plan, as the lines that were printed. */
    plan: string[];
}
export declare class EngineUnavailableError extends Error {
    constructor();
}
export declare function emptyStats(): Stats;
/** Runs one configuration. A Config built by hand is validated here too, before anything touches AWS. */
export declare function sync(config: Config, reporter?: Reporter): Promise<SyncResult>;
