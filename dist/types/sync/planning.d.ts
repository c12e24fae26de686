import { type AwsContext } from '../aws/client-config.js';
import type { Config, S3Location, TargetKind } from '../config/types.js';
import type { Reporter } from '../report.js';
import type { Changes, DirEntry, FileEntry, PublishedState, Tree } from './model.js';
export interface TargetPlan {
    kind: TargetKind;
    target: string;
    /** The runner directory that holds the content of changed files (local and dependency targets). */
    root?: string;
    s3Source?: S3Location;
    previous?: PublishedState;
    /** The release key of a dependency set. */
    key?: string;
    tree: Tree;
    changes: Changes;
    /** The whole new release: each file flagged when it must be fetched. */
    files: (FileEntry & {
        changed: boolean;
    })[];
    dirs: DirEntry[];
    /** Nothing to publish for this target. */
    unchanged: boolean;
}
export interface PlanOptions {
    /** Ignore the published state's tree: every file is fetched (after a base mismatch). */
    full?: boolean;
    /** Where dependencies are installed on the runner. */
    buildDir: string;
}
export declare function planTargets(config: Config, aws: AwsContext, reporter: Reporter, options: PlanOptions): Promise<TargetPlan[]>;
/** One line per target for the log and the summary: what would be added, modified and deleted. */
export declare function describeTargetPlan(plan: TargetPlan, deleteGone: boolean): string;
export declare function formatBytes(n: number): string;
/** Rollback needs no tree: each configured target, with the state that says what it serves now. */
export declare function rollbackPlans(config: Config, aws: AwsContext): Promise<TargetPlan[]>;
