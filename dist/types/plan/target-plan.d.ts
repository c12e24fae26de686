/**
 * The plan of one target, as pure code: the new release against the last published state, each file flagged when
 * it must be fetched, and the line that describes it. No I/O: the caller brings the trees.
 */
import type { S3Location } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import type { PublishedState } from '../core/published.js';
import type { TargetKind } from '../core/targets.js';
import type { Changes, DirEntry, FileEntry, ObjectCheck, Tree } from '../core/tree.js';
export interface TargetPlan {
    kind: TargetKind;
    target: string;
    /** The runner directory that holds the content of changed files (local and dependency targets). */
    root?: string;
    s3Source?: S3Location;
    /** How each S3-source object to fetch is verified, by path (src/plan/s3-objects.ts). */
    objectChecks?: Map<string, ObjectCheck>;
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
    /** The legacy key `previous` was read at: the agent must find its release before it counts (plan/place.ts). */
    carriedFrom?: string;
}
export declare class PlanError extends EfsyncError {
}
/** A target whose release key says it is what the previous run published (dependencies with the same inputs). */
export declare function unchangedPlan(kind: TargetKind, target: string, previous: PublishedState, key?: string): TargetPlan;
export interface DiffOptions {
    /** Files gone from the source are deleted from the new release. */
    delete: boolean;
    /** Ignore the published state's tree: every file is fetched (after a base mismatch). */
    full?: boolean;
}
/** The new release of `tree` against what the target serves now. */
export declare function diffPlan(kind: TargetKind, target: string, tree: Tree, previous: PublishedState | undefined, options: DiffOptions, extra?: {
    root?: string;
    key?: string;
    s3Source?: S3Location;
}): TargetPlan;
/** Rollback needs no tree: the target with the state that says what it serves now. */
export declare function rollbackPlan(kind: TargetKind, target: string, previous: PublishedState | undefined): TargetPlan;
/** The local tree at `place` among the S3 objects; an S3 object already there would be ambiguous. */
export declare function mergeUnder(s3Tree: Tree, local: Tree, place: string): Tree;
/** One line per target for the log and the summary: what would be added, modified and deleted. */
export declare function describeTargetPlan(plan: TargetPlan, deleteGone: boolean): string;
