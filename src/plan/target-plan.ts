/**
 * The plan of one target, as pure code: the new release against the last published state, each file flagged when
 * it must be fetched, and the line that describes it. No I/O: the caller brings the trees.
 */
import type { S3Location } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import type { PublishedState } from '../core/published.js';
import type { TargetKind } from '../core/targets.js';
import type { Changes, DirEntry, FileEntry, ObjectCheck, Tree } from '../core/tree.js';
import { diffTrees, hasChanges } from './diff.js';
import { sortTree } from './tree.js';

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
  files: (FileEntry & { changed: boolean })[];
  dirs: DirEntry[];
  /** Nothing to publish for this target. */
  unchanged: boolean;
  /** The legacy key `previous` was read at: the agent must find its release before it counts (plan/place.ts). */
  carriedFrom?: string;
}

export class PlanError extends EfsyncError {}

const NO_CHANGES: Changes = { add: [], modify: [], delete: [] };

/** A target whose release key says it is what the previous run published (dependencies with the same inputs). */
export function unchangedPlan(kind: TargetKind, target: string, previous: PublishedState, key?: string): TargetPlan {
  return {
    kind,
    target,
    previous,
    ...(key !== undefined && { key }),
    tree: previous.tree,
    changes: { ...NO_CHANGES },
    files: previous.tree.files.map((f) => ({ ...f, changed: false })),
    dirs: previous.tree.dirs,
    unchanged: true,
  };
}

export interface DiffOptions {
  /** Files gone from the source are deleted from the new release. */
  delete: boolean;
  /** Ignore the published state's tree: every file is fetched (after a base mismatch). */
  full?: boolean;
}

/** The new release of `tree` against what the target serves now. */
export function diffPlan(
  kind: TargetKind,
  target: string,
  tree: Tree,
  previous: PublishedState | undefined,
  options: DiffOptions,
  extra: { root?: string; key?: string; s3Source?: S3Location } = {},
): TargetPlan {
  const diff = diffTrees(options.full ? undefined : previous?.tree, tree, { delete: options.delete });
  return {
    kind,
    target,
    ...(previous && { previous }),
    ...extra,
    tree: { files: diff.files.map(({ changed: _, ...file }) => file), dirs: diff.dirs },
    changes: diff.changes,
    files: diff.files,
    dirs: diff.dirs,
    unchanged: previous !== undefined && !options.full && !hasChanges(diff),
  };
}

/** Rollback needs no tree: the target with the state that says what it serves now. */
export function rollbackPlan(kind: TargetKind, target: string, previous: PublishedState | undefined): TargetPlan {
  return {
    kind,
    target,
    ...(previous && { previous }),
    tree: previous?.tree ?? { files: [], dirs: [] },
    changes: { ...NO_CHANGES },
    files: [],
    dirs: [],
    unchanged: false,
  };
}

/** The local tree at `place` among the S3 objects; an S3 object already there would be ambiguous. */
export function mergeUnder(s3Tree: Tree, local: Tree, place: string): Tree {
  const clash = s3Tree.files.find((f) => f.path === place || f.path.startsWith(`${place}/`));
  if (clash)
    throw new PlanError(
      `The S3 source has ${clash.path}, where local-dir goes too. Set s3-target and local-target apart.`,
    );
  const parents = place.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  const known = new Set(s3Tree.dirs.map((d) => d.path));
  return sortTree({
    files: [...s3Tree.files, ...local.files.map((f) => ({ ...f, path: `${place}/${f.path}` }))],
    dirs: [
      ...s3Tree.dirs,
      ...parents.filter((p) => !known.has(p)).map((p) => ({ path: p, mode: 0o755 })),
      ...local.dirs.map((d) => ({ ...d, path: `${place}/${d.path}` })),
    ],
  });
}

/** One line per target for the log and the summary: what would be added, modified and deleted. */
export function describeTargetPlan(plan: TargetPlan, deleteGone: boolean): string {
  if (plan.unchanged) return `${plan.target}: unchanged${plan.previous ? ` (release ${plan.previous.releaseId})` : ''}`;
  const bytes = (files: FileEntry[]) => files.reduce((sum, f) => sum + f.size, 0);
  const { add, modify, delete: gone } = plan.changes;
  const deleted = deleteGone ? `-${gone.length} deleted` : `${gone.length} gone from the source, kept (delete: false)`;
  return (
    `${plan.target}: +${add.length} added (${formatBytes(bytes(add))}), ~${modify.length} modified ` +
    `(${formatBytes(bytes(modify))}), ${deleted}; ${plan.files.length} files in the new release`
  );
}
