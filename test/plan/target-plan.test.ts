import { describe, expect, it } from 'vitest';
import type { PublishedState } from '../../src/core/published.js';
import type { FileEntry, Tree } from '../../src/core/tree.js';
import {
  describeTargetPlan,
  diffPlan,
  mergeUnder,
  PlanError,
  rollbackPlan,
  unchangedPlan,
} from '../../src/plan/target-plan.js';

const file = (path: string, size = 10, sha256 = `sha-${path}`): FileEntry => ({ path, size, mode: 0o644, sha256 });
const dir = (path: string) => ({ path, mode: 0o755 });

const PREVIOUS_TREE: Tree = { files: [file('a.txt'), file('b.txt', 20), file('old.txt', 5)], dirs: [dir('sub')] };
const previous: PublishedState = {
  version: 1,
  fileSystemId: 'fs-0123',
  target: 'models',
  kind: 'local',
  releaseId: '20260101T000000Z-0a1b2c3d',
  publishedAt: '2026-01-01T00:00:00.000Z',
  tree: PREVIOUS_TREE,
};
// a.txt unchanged, b.txt modified (30 B), new.txt added (2048 B), old.txt gone.
const NEXT: Tree = { files: [file('a.txt'), file('b.txt', 30, 'sha-b2'), file('new.txt', 2048)], dirs: [dir('sub')] };

const paths = (files: { path: string }[]) => files.map((f) => f.path);

describe('diffPlan', () => {
  it('flags what must be fetched and lists what changed', () => {
    const plan = diffPlan('local', 'models', NEXT, previous, { delete: true }, { root: '/ws/models' });
    expect(plan).toMatchObject({ kind: 'local', target: 'models', root: '/ws/models', previous, unchanged: false });
    expect(plan.files.map((f) => [f.path, f.changed])).toEqual([
      ['a.txt', false],
      ['b.txt', true],
      ['new.txt', true],
    ]);
    expect(paths(plan.changes.add)).toEqual(['new.txt']);
    expect(paths(plan.changes.modify)).toEqual(['b.txt']);
    expect(plan.changes.delete).toEqual(['old.txt']);
    // The tree is the new release without the flags: what the state records after success.
    expect(plan.tree).toEqual({ files: NEXT.files, dirs: NEXT.dirs });
    expect(plan.dirs).toEqual([dir('sub')]);
  });

  it('keeps a file gone from the source in the release when delete is false', () => {
    const plan = diffPlan('local', 'models', NEXT, previous, { delete: false });
    expect(paths(plan.files)).toEqual(['a.txt', 'b.txt', 'new.txt', 'old.txt']);
    expect(plan.files.find((f) => f.path === 'old.txt')?.changed).toBe(false);
    expect(plan.changes.delete).toEqual(['old.txt']);
    expect(paths(plan.tree.files)).toEqual(['a.txt', 'b.txt', 'new.txt', 'old.txt']);
  });

  it('is unchanged when the tree is what the state says, and never without a state', () => {
    expect(diffPlan('local', 'models', PREVIOUS_TREE, previous, { delete: true }).unchanged).toBe(true);
    const first = diffPlan('local', 'models', PREVIOUS_TREE, undefined, { delete: true });
    expect(first.unchanged).toBe(false);
    expect(first).not.toHaveProperty('previous');
    expect(first.files.every((f) => f.changed)).toBe(true);
  });

  it('fetches every file after a base mismatch (full), even an unchanged tree', () => {
    const plan = diffPlan('local', 'models', PREVIOUS_TREE, previous, { delete: true, full: true });
    expect(plan.unchanged).toBe(false);
    expect(plan.files.map((f) => f.changed)).toEqual([true, true, true]);
    expect(paths(plan.changes.add)).toEqual(['a.txt', 'b.txt', 'old.txt']);
    expect(plan.changes.delete).toEqual([]);
    // The state still says what the target served.
    expect(plan.previous).toBe(previous);
  });

  it('carries the S3 source and the release key', () => {
    const s3Source = { bucket: 'ml', prefix: 'bert/' };
    const plan = diffPlan('s3', 'ml', NEXT, undefined, { delete: true }, { s3Source, key: 'k1' });
    expect(plan.s3Source).toEqual(s3Source);
    expect(plan.key).toBe('k1');
  });
});

describe('unchangedPlan', () => {
  it('serves the previous tree, nothing to fetch', () => {
    const plan = unchangedPlan('pip', 'lib', previous, 'key-1');
    expect(plan).toEqual({
      kind: 'pip',
      target: 'lib',
      previous,
      key: 'key-1',
      tree: PREVIOUS_TREE,
      changes: { add: [], modify: [], delete: [] },
      files: PREVIOUS_TREE.files.map((f) => ({ ...f, changed: false })),
      dirs: PREVIOUS_TREE.dirs,
      unchanged: true,
    });
    expect(unchangedPlan('pip', 'lib', previous)).not.toHaveProperty('key');
  });
});

describe('rollbackPlan', () => {
  it('has no files and no changes, only the state of what is served', () => {
    expect(rollbackPlan('local', 'models', previous)).toEqual({
      kind: 'local',
      target: 'models',
      previous,
      tree: PREVIOUS_TREE,
      changes: { add: [], modify: [], delete: [] },
      files: [],
      dirs: [],
      unchanged: false,
    });
  });

  it('works without a state', () => {
    const plan = rollbackPlan('s3', 'ml', undefined);
    expect(plan).not.toHaveProperty('previous');
    expect(plan.tree).toEqual({ files: [], dirs: [] });
  });
});

describe('mergeUnder', () => {
  const s3: Tree = { files: [file('bert/config.json'), file('vocab.txt')], dirs: [dir('bert')] };
  const local: Tree = { files: [file('w.bin'), file('sub/x.bin')], dirs: [dir('sub')] };

  it('places the local tree under its folder, with the parent folders it needs', () => {
    expect(mergeUnder(s3, local, 'models/current')).toEqual({
      files: [
        file('bert/config.json'),
        { ...file('sub/x.bin'), path: 'models/current/sub/x.bin' },
        { ...file('w.bin'), path: 'models/current/w.bin' },
        file('vocab.txt'),
      ],
      dirs: [dir('bert'), dir('models'), dir('models/current'), dir('models/current/sub')],
    });
  });

  it('does not repeat a folder the S3 tree has', () => {
    expect(mergeUnder(s3, local, 'bert/local').dirs).toEqual([dir('bert'), dir('bert/local'), dir('bert/local/sub')]);
  });

  it('refuses an S3 object where the local tree goes, or inside it', () => {
    expect(() => mergeUnder(s3, local, 'vocab.txt')).toThrow(PlanError);
    expect(() => mergeUnder(s3, local, 'bert')).toThrow(
      'The S3 source has bert/config.json, where local-dir goes too. Set s3-target and local-target apart.',
    );
    // A sibling that only shares the prefix is no clash.
    expect(paths(mergeUnder(s3, local, 'ber').files)).toContain('ber/w.bin');
  });
});

describe('describeTargetPlan', () => {
  it('counts and sizes what is added, modified and deleted', () => {
    const plan = diffPlan('local', 'models', NEXT, previous, { delete: true });
    expect(describeTargetPlan(plan, true)).toBe(
      'models: +1 added (2.0 KiB), ~1 modified (30 B), -1 deleted; 3 files in the new release',
    );
  });

  it('says what it keeps when delete is false', () => {
    const plan = diffPlan('local', 'models', NEXT, previous, { delete: false });
    expect(describeTargetPlan(plan, false)).toBe(
      'models: +1 added (2.0 KiB), ~1 modified (30 B), 1 gone from the source, kept (delete: false); 4 files in the new release',
    );
  });

  it('names the release an unchanged target keeps serving', () => {
    expect(describeTargetPlan(unchangedPlan('pip', 'lib', previous), true)).toBe(
      'lib: unchanged (release 20260101T000000Z-0a1b2c3d)',
    );
    const noState = { ...diffPlan('local', 'x', NEXT, undefined, { delete: true }), unchanged: true };
    expect(describeTargetPlan(noState, true)).toBe('x: unchanged');
  });
});
