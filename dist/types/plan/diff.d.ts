/**
 * What a new release holds and what must be fetched for it, compared with the last published tree. Pure.
 *
 * Every file of the release is listed: unchanged ones become hard links of the base release on the instance,
 * changed ones are downloaded. With delete false nothing gone from the source is removed, unless a new file or
 * directory needs its place; `changes.delete` still lists what is gone, so the summary can say what was kept.
 */
import type { Changes, DirEntry, FileEntry, Tree } from '../core/tree.js';
export type PlannedFile = FileEntry & {
    changed: boolean;
};
export interface TreeDiff {
    /** `delete` lists every file path gone from the source, as the contract says; `kept` tells which of them stay. */
    changes: Changes;
    /** The whole new release, sorted; `changed` ones must be fetched, the others are hard links of the base. */
    files: PlannedFile[];
    dirs: DirEntry[];
    /** The paths of `changes.delete` that stay in the release, because delete is false and nothing needs their place. */
    kept: string[];
    /** The release's directories differ from the base's (added, removed or another mode), or there is no base. */
    dirsChanged: boolean;
}
/**
 * Same path (the caller matched it), size, mode and content hash. sha256 is compared when both sides have it, else
 * the S3 ETag; a pair with no common hash cannot be proved equal, so it counts as changed.
 */
export declare function sameFile(a: FileEntry, b: FileEntry): boolean;
export declare function diffTrees(previous: Tree | undefined, next: Tree, options: {
    delete: boolean;
}): TreeDiff;
/** Whether publishing would change what the target serves (always true when it has no release yet). */
export declare function hasChanges(diff: Pick<TreeDiff, 'changes' | 'kept' | 'dirsChanged'>): boolean;
