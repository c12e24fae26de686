import { describe, expect, it } from 'vitest';
import type { PublishedState } from '../../src/core/published.js';
import { emptyStats, type TargetReport } from '../../src/core/result.js';
import type { FileEntry } from '../../src/core/tree.js';
import { diffPlan, type TargetPlan, unchangedPlan } from '../../src/plan/target-plan.js';
import { reportTargets } from '../../src/run/finalize.js';

const file = (path: string, size: number, sha256 = `sha-${path}`): FileEntry => ({ path, size, mode: 0o644, sha256 });

function state(target: string, files: FileEntry[]): PublishedState {
  return {
    version: 1,
    fileSystemId: 'fs-0123',
    target,
    kind: 'local',
    releaseId: `old-${target}`,
    publishedAt: '2026-01-01T00:00:00.000Z',
    tree: { files, dirs: [] },
  };
}

// models: keep.bin unchanged, mod.bin 100 -> 150 B, add.bin 1000 B new, gone1 (7 B) and gone2 (3 B) gone.
const models = diffPlan(
  'local',
  'models',
  { files: [file('add.bin', 1000), file('keep.bin', 50), file('mod.bin', 150, 'sha-new')], dirs: [] },
  state('models', [file('gone1', 7), file('gone2', 3), file('keep.bin', 50), file('mod.bin', 100)]),
  { delete: true },
);
const lib = unchangedPlan('pip', 'lib', state('lib', [file('x.py', 5)]));
// A first publish: everything added.
const ml = diffPlan('s3', 'ml', { files: [file('a', 1), file('b', 2)], dirs: [] }, undefined, { delete: true });

const status = (plan: TargetPlan): TargetReport['status'] => (plan.unchanged ? 'unchanged' : 'published');
const releaseId = (plan: TargetPlan) => (plan.unchanged ? (plan.previous?.releaseId ?? '') : `new-${plan.target}`);

describe('reportTargets', () => {
  it('counts files and bytes per target, and adds the changed targets into the stats', () => {
    const stats = emptyStats();
    const reports = reportTargets([lib, models, ml], true, stats, status, releaseId);
    expect(reports).toEqual([
      {
        kind: 'pip',
        target: 'lib',
        status: 'unchanged',
        releaseId: 'old-lib',
        files: { added: 0, changed: 0, deleted: 0 },
        bytes: { added: 0, changed: 0, deleted: 0 },
      },
      {
        kind: 'local',
        target: 'models',
        status: 'published',
        releaseId: 'new-models',
        files: { added: 1, changed: 1, deleted: 2 },
        bytes: { added: 1000, changed: 150, deleted: 10 },
      },
      {
        kind: 's3',
        target: 'ml',
        status: 'published',
        releaseId: 'new-ml',
        files: { added: 2, changed: 0, deleted: 0 },
        bytes: { added: 3, changed: 0, deleted: 0 },
      },
    ]);
    expect(stats.files).toEqual({ added: 3, changed: 1, deleted: 2 });
    expect(stats.bytes).toEqual({ added: 1003, changed: 150, deleted: 10, uploaded: 0 });
  });

  it('counts nothing as deleted when delete is false', () => {
    const stats = emptyStats();
    const [report] = reportTargets([models], false, stats, status, releaseId);
    expect(report?.files).toEqual({ added: 1, changed: 1, deleted: 0 });
    expect(report?.bytes).toEqual({ added: 1000, changed: 150, deleted: 0 });
    expect(stats.files.deleted).toBe(0);
    expect(stats.bytes.deleted).toBe(0);
  });

  it('adds onto the stats it is given', () => {
    const stats = emptyStats();
    stats.files.added = 5;
    stats.bytes.uploaded = 77;
    reportTargets([ml], true, stats, status, releaseId);
    expect(stats.files.added).toBe(7);
    expect(stats.bytes).toEqual({ added: 3, changed: 0, deleted: 0, uploaded: 77 });
  });

  it('leaves an unchanged target out of the stats even if its counts are not zero', () => {
    const stats = emptyStats();
    const [report] = reportTargets(
      [{ ...models, unchanged: true }],
      true,
      stats,
      () => 'unchanged',
      () => 'r',
    );
    expect(report?.files.added).toBe(1);
    expect(stats.files).toEqual({ added: 0, changed: 0, deleted: 0 });
  });
});
