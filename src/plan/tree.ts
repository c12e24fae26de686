/** Canonical order, digest and release id of a tree. Pure. */
import { createHash } from 'node:crypto';
import type { DirEntry, FileEntry, Tree } from '../core/tree.js';

/**
 * Plain code-unit order, never localeCompare: the order must not depend on the runner's locale, or two runs would
 * digest the same tree differently.
 */
export function comparePaths(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export function sortTree(tree: Tree): Tree {
  return {
    files: [...tree.files].sort((a, b) => comparePaths(a.path, b.path)),
    dirs: [...tree.dirs].sort((a, b) => comparePaths(a.path, b.path)),
  };
}

/** Arrays with a fixed field order, so the digest does not depend on how an entry object was built. */
function canonicalFile(file: FileEntry): unknown[] {
  return [file.path, file.size, file.mode, file.sha256 ?? null, file.etag ?? null];
}

function canonicalDir(dir: DirEntry): unknown[] {
  return [dir.path, dir.mode];
}

/** Hex sha256 of the tree's canonical JSON: equal for equal content whatever the entry order. */
export function treeDigest(tree: Tree): string {
  const sorted = sortTree(tree);
  const canonical = JSON.stringify({
    files: sorted.files.map(canonicalFile),
    dirs: sorted.dirs.map(canonicalDir),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** `yyyymmddThhmmssZ-<first 8 hex of the digest>`: sorts by time, and names the content it holds. */
export function newReleaseId(tree: Tree, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${treeDigest(tree).slice(0, 8)}`;
}
