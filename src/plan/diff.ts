/**
 * What a new release holds and what must be fetched for it, compared with the last published tree. Pure.
 *
 * Every file of the release is listed: unchanged ones become hard links of the base release on the instance,
 * changed ones are downloaded. With delete false nothing gone from the source is removed, unless a new file or
 * directory needs its place; `changes.delete` still lists what is gone, so the summary can say what was kept.
 */
import type { Changes, DirEntry, FileEntry, Tree } from '../core/tree.js';
import { comparePaths } from './tree.js';

export type PlannedFile = FileEntry & { changed: boolean };

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
export function sameFile(a: FileEntry, b: FileEntry): boolean {
  if (a.size !== b.size || a.mode !== b.mode) return false;
  if (a.sha256 !== undefined && b.sha256 !== undefined) return a.sha256 === b.sha256;
  if (a.etag !== undefined && b.etag !== undefined) return a.etag === b.etag;
  return false;
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

export function diffTrees(previous: Tree | undefined, next: Tree, options: { delete: boolean }): TreeDiff {
  const changes: Changes = { add: [], modify: [], delete: [] };
  const previousFiles = new Map((previous?.files ?? []).map((file) => [file.path, file]));
  const nextFiles = new Set(next.files.map((file) => file.path));
  const nextDirs = new Set(next.dirs.map((dir) => dir.path));

  const files: PlannedFile[] = next.files.map((file) => {
    const base = previousFiles.get(file.path);
    if (base === undefined) {
      changes.add.push(file);
      return { ...file, changed: true };
    }
    if (sameFile(base, file)) return { ...file, changed: false };
    changes.modify.push(file);
    return { ...file, changed: true };
  });
  const dirs: DirEntry[] = [...next.dirs];
  const kept: string[] = [];

  // A kept path must not collide with the new source: a new file where it or one of its parents was, or a new
  // directory where a kept file was. The new source wins; the old path goes.
  const collides = (path: string, isFile: boolean) =>
    nextFiles.has(path) || (isFile && nextDirs.has(path)) || ancestors(path).some((dir) => nextFiles.has(dir));

  for (const file of previous?.files ?? []) {
    if (nextFiles.has(file.path)) continue;
    changes.delete.push(file.path);
    if (!options.delete && !collides(file.path, true)) {
      files.push({ ...file, changed: false });
      kept.push(file.path);
    }
  }
  if (!options.delete) {
    for (const dir of previous?.dirs ?? []) {
      if (!nextDirs.has(dir.path) && !collides(dir.path, false)) dirs.push(dir);
    }
  }

  files.sort((a, b) => comparePaths(a.path, b.path));
  dirs.sort((a, b) => comparePaths(a.path, b.path));
  changes.delete.sort(comparePaths);
  kept.sort(comparePaths);
  return { changes, files, dirs, kept, dirsChanged: previous === undefined || !sameDirs(previous.dirs, dirs) };
}

function sameDirs(a: DirEntry[], b: DirEntry[]): boolean {
  if (a.length !== b.length) return false;
  const modes = new Map(a.map((dir) => [dir.path, dir.mode]));
  return b.every((dir) => modes.get(dir.path) === dir.mode);
}

/** Whether publishing would change what the target serves (always true when it has no release yet). */
export function hasChanges(diff: Pick<TreeDiff, 'changes' | 'kept' | 'dirsChanged'>): boolean {
  const { add, modify, delete: gone } = diff.changes;
  return add.length > 0 || modify.length > 0 || gone.length > diff.kept.length || diff.dirsChanged;
}
