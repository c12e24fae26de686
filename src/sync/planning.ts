/**
 * Plans every target on the runner, before any instance exists: the tree each source has now, the last published
 * state of its target, and the difference. Dependencies whose release key is unchanged are not even installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsContext, clientConfig } from '../aws/client-config.js';
import { tagErrors } from '../aws/errors.js';
import type { Config, S3Location, TargetKind } from '../config/types.js';
import { localInsideS3 } from '../paths.js';
import { depsReleaseKey, installDependencies, readRequirements, resolveInstaller } from '../plan/deps.js';
import { diffTrees, hasChanges } from '../plan/diff.js';
import { walkLocal } from '../plan/local.js';
import { listS3Tree } from '../plan/s3-source.js';
import { readState, stateKey } from '../plan/state.js';
import { sortTree } from '../plan/tree.js';
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
  files: (FileEntry & { changed: boolean })[];
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

export async function planTargets(
  config: Config,
  aws: AwsContext,
  reporter: Reporter,
  options: PlanOptions,
): Promise<TargetPlan[]> {
  const s3 = tagErrors(new S3Client(clientConfig(aws)), 's3');
  const bucket = config.staging.bucket ?? '';
  const state = (target: string) =>
    readState(s3, bucket, stateKey(config.staging.prefix, config.fileSystem.id, target));
  const plans: TargetPlan[] = [];
  try {
    if (config.deps) {
      const deps = config.deps;
      const requirements = path.resolve(config.workspace, deps.requirements);
      const installer = await resolveInstaller(deps.installer);
      const key = depsReleaseKey({
        requirementsText: await readRequirements(requirements),
        pythonVersion: deps.pythonVersion,
        architecture: deps.architecture,
        installer: installer.installer,
        pipArgs: deps.pipArgs,
      });
      const previous = await state(deps.target);
      if (previous?.key === key && !config.force && !options.full) {
        reporter.info(
          `${deps.target}: requirements, runtime and installer are unchanged (release key ${key.slice(0, 12)}); not installing.`,
        );
        plans.push(unchangedPlan('pip', deps.target, previous, key));
      } else {
        const buildDir = path.join(options.buildDir, 'deps');
        const tree = await installDependencies(
          deps,
          config.workspace,
          buildDir,
          (line) => reporter.info(line),
          installer,
        );
        plans.push(diffPlan('pip', deps.target, tree, previous, config, options, { root: buildDir, key }));
      }
    }
    const nested = localInsideS3(config);
    if (config.local && nested === undefined) {
      const root = path.resolve(config.workspace, config.local.dir);
      const tree = await walkLocal(root);
      plans.push(
        diffPlan('local', config.local.target, tree, await state(config.local.target), config, options, { root }),
      );
    }
    if (config.s3) {
      let tree = await listS3Tree(s3, config.s3.source);
      let root: string | undefined;
      if (config.local && nested !== undefined) {
        // efsync's layout: the folder joins the S3 objects at its place inside the S3 target, in the same release.
        // Its files are staged from a directory where their paths (which start with that place) resolve.
        const dir = path.resolve(config.workspace, config.local.dir);
        tree = mergeUnder(tree, await walkLocal(dir), nested);
        root = path.join(options.buildDir, 'nested');
        fs.mkdirSync(path.dirname(path.join(root, nested)), { recursive: true });
        fs.rmSync(path.join(root, nested), { force: true });
        fs.symlinkSync(dir, path.join(root, nested));
      }
      const previous = await state(config.s3.target);
      plans.push(
        diffPlan('s3', config.s3.target, tree, previous, config, options, {
          s3Source: config.s3.source,
          ...(root && { root }),
        }),
      );
    }
    return plans;
  } finally {
    s3.destroy();
  }
}

/** The local tree at `place` among the S3 objects; an S3 object already there would be ambiguous. */
function mergeUnder(s3Tree: Tree, local: Tree, place: string): Tree {
  const clash = s3Tree.files.find((f) => f.path === place || f.path.startsWith(`${place}/`));
  if (clash)
    throw new Error(`The S3 source has ${clash.path}, where local-dir goes too. Set s3-target and local-target apart.`);
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

function unchangedPlan(kind: TargetKind, target: string, previous: PublishedState, key?: string): TargetPlan {
  return {
    kind,
    target,
    previous,
    ...(key !== undefined && { key }),
    tree: previous.tree,
    changes: { add: [], modify: [], delete: [] },
    files: previous.tree.files.map((f) => ({ ...f, changed: false })),
    dirs: previous.tree.dirs,
    unchanged: true,
  };
}

function diffPlan(
  kind: TargetKind,
  target: string,
  tree: Tree,
  previous: PublishedState | undefined,
  config: Config,
  options: PlanOptions,
  extra: { root?: string; key?: string; s3Source?: S3Location },
): TargetPlan {
  const diff = diffTrees(options.full ? undefined : previous?.tree, tree, { delete: config.delete });
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

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Rollback needs no tree: each configured target, with the state that says what it serves now. */
export async function rollbackPlans(config: Config, aws: AwsContext): Promise<TargetPlan[]> {
  const s3 = tagErrors(new S3Client(clientConfig(aws)), 's3');
  try {
    const targets: [TargetKind, string | undefined][] = [
      ['pip', config.deps?.target],
      ['local', config.local?.target],
      ['s3', config.s3?.target],
    ];
    const plans: TargetPlan[] = [];
    for (const [kind, target] of targets) {
      if (target === undefined) continue;
      const previous = await readState(
        s3,
        config.staging.bucket ?? '',
        stateKey(config.staging.prefix, config.fileSystem.id, target),
      );
      const empty = { files: [], dirs: [] };
      plans.push({
        kind,
        target,
        ...(previous && { previous }),
        tree: previous?.tree ?? empty,
        changes: { add: [], modify: [], delete: [] },
        files: [],
        dirs: [],
        unchanged: false,
      });
    }
    return plans;
  } finally {
    s3.destroy();
  }
}
