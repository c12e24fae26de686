import { describe, expect, it } from 'vitest';
import type { PublishedState } from '../../src/core/published.js';
import type { FileEntry, Tree } from '../../src/core/tree.js';
import { diffPlan, rollbackPlan, type TargetPlan } from '../../src/plan/target-plan.js';
import { newReleaseId } from '../../src/plan/tree.js';
import {
  AGENT_CONCURRENCY,
  buildJob,
  bytesToMove,
  filesToStage,
  type JobInput,
  newReleaseIds,
  type StagedMembers,
  scratchBytes,
  sourceObjects,
} from '../../src/remote/job.js';
import type { MountSpec, StagedPart } from '../../src/remote/protocol.js';
import { PART_SIZE, partSizes } from '../../src/remote/stage/parts.js';

const NOW = new Date('2026-03-04T05:06:07Z');
const MOUNT: MountSpec = {
  fileSystemId: 'fs-0123',
  dnsName: 'fs-0123.efs.eu-central-1.amazonaws.com',
  iam: false,
  plainNfsAllowed: true,
  reason: 'no policy',
};

const local = (path: string, size = 10, sha256 = `sha-${path}`): FileEntry => ({ path, size, mode: 0o644, sha256 });
const object = (path: string, size = 10, etag = `etag-${path}`): FileEntry => ({ path, size, mode: 0o644, etag });

function state(target: string, tree: Tree): PublishedState {
  return {
    version: 1,
    fileSystemId: 'fs-0123',
    target,
    kind: 'local',
    releaseId: `base-${target}`,
    publishedAt: '2026-01-01T00:00:00.000Z',
    tree,
  };
}

// models (workspace files): same.txt unchanged, edit.txt modified, new.txt added, gone.txt gone.
const models = diffPlan(
  'local',
  'models',
  {
    files: [local('edit.txt', 11, 'sha-edit2'), local('new.txt'), local('same.txt')],
    dirs: [{ path: 'd', mode: 0o755 }],
  },
  state('models', { files: [local('edit.txt'), local('gone.txt'), local('same.txt')], dirs: [] }),
  { delete: true },
  { root: '/ws/models' },
);
// ml (S3 source under bert/): w.bin unchanged, v.bin new.
const ml = diffPlan(
  's3',
  'ml',
  { files: [object('v.bin'), object('w.bin')], dirs: [] },
  state('ml', { files: [object('w.bin')], dirs: [] }),
  { delete: true },
  { s3Source: { bucket: 'ml-models', prefix: 'bert/' } },
);
ml.objectChecks = new Map([['v.bin', { verify: 'crc64nvme', digest: '0123456789abcdef' }]]);
// lib (dependencies), first publish: every file changes.
const lib = diffPlan(
  'pip',
  'lib',
  { files: [local('a.py'), local('b.py')], dirs: [] },
  undefined,
  { delete: true },
  {
    root: '/tmp/deps',
  },
);
// mixed: an S3 source with local-dir merged in, so the plan has a root and files of both kinds.
const mixed = diffPlan(
  's3',
  'mixed',
  { files: [object('from-s3.bin'), local('local/x.txt')], dirs: [] },
  undefined,
  { delete: true },
  { root: '/ws/x', s3Source: { bucket: 'src', prefix: '' } },
);
mixed.objectChecks = new Map([['from-s3.bin', { verify: 'size' }]]);

const PART: StagedPart = { name: 'part-0001.tar', url: 'https://s3/part-0001', size: 100, sha256: 'f'.repeat(64) };

function members(entries: Record<string, Record<string, string>>): StagedMembers {
  return new Map(
    Object.entries(entries).map(([target, files]) => [
      target,
      new Map(Object.entries(files).map(([path, member]) => [path, { part: PART.name, member }])),
    ]),
  );
}

function input(plans: TargetPlan[], extra: Partial<JobInput> = {}): JobInput {
  return {
    runId: 'run-1',
    fileSystemId: 'fs-0123',
    mount: MOUNT,
    lockTimeoutSeconds: 120,
    keepReleases: 3,
    keepReleasesMinutes: 1440,
    deleteGone: true,
    action: 'sync',
    plans,
    releaseIds: newReleaseIds(plans, 'sync', NOW),
    parts: [PART],
    members: members({ models: { 'edit.txt': 'm/0', 'new.txt': 'm/1' }, lib: { 'a.py': 'l/0', 'b.py': 'l/1' } }),
    objectUrl: (bucket, key) => `https://presigned/${bucket}/${key}`,
    logUrl: 'https://s3/log',
    resultUrl: 'https://s3/result',
    agent: { url: 'https://s3/agent', sha256: 'a'.repeat(64) },
    ...extra,
  };
}

describe('newReleaseIds', () => {
  it('gives each target a release id from its tree and the time for a sync, none for a rollback', () => {
    expect(newReleaseIds([models, ml], 'sync', NOW)).toEqual({
      models: newReleaseId(models.tree, NOW),
      ml: newReleaseId(ml.tree, NOW),
    });
    expect(newReleaseIds([models], 'sync', NOW).models).toMatch(/^20260304T050607Z-[0-9a-f]{8}$/);
    expect(newReleaseIds([models, ml], 'rollback', NOW)).toEqual({ models: '', ml: '' });
  });
});

describe('filesToStage', () => {
  it('stages the changed files on the runner, per target, never an S3 object', () => {
    expect(filesToStage([models, ml, lib, mixed], 'sync')).toEqual([
      { target: 'models', root: '/ws/models', files: [models.files[0], models.files[1]] },
      { target: 'lib', root: '/tmp/deps', files: lib.files },
      { target: 'mixed', root: '/ws/x', files: [mixed.files[1]] },
    ]);
    expect(filesToStage([models], 'sync')[0]?.files.map((f) => f.path)).toEqual(['edit.txt', 'new.txt']);
  });

  it('stages nothing for a rollback', () => {
    expect(filesToStage([models, lib], 'rollback')).toEqual([]);
  });
});

describe('bytesToMove', () => {
  it('counts the changed files, staged or from the S3 source, for a sync only', () => {
    // models: edit.txt (11) and new.txt (10) changed; ml: v.bin (10) new.
    expect(bytesToMove([models, ml], 'sync')).toBe(31);
    expect(bytesToMove([models, ml], 'rollback')).toBe(0);
  });
});

describe('scratchBytes', () => {
  const MiB = 1024 * 1024;
  const big = (n: number, size: number) => Array.from({ length: n }, (_, i) => local(`f${i}.bin`, size));
  const target = (files: FileEntry[], root = '/ws/x') =>
    diffPlan('local', 'x', { files, dirs: [] }, undefined, { delete: true }, { root });

  it('is the AGENT_CONCURRENCY largest parts, not the sum of all', () => {
    // Forty files of 20 MiB: a part each (each is over PART_SIZE); the agent holds AGENT_CONCURRENCY at a time.
    const part = 512 + 20 * MiB + 1024; // a ustar header, the content (a multiple of 512), the end of the archive
    const sizes = partSizes([{ target: 'x', files: big(40, 20 * MiB) }]);
    expect(sizes).toEqual(Array(40).fill(part));
    expect(scratchBytes([target(big(40, 20 * MiB))], 'sync')).toBe(AGENT_CONCURRENCY * part);
    expect(AGENT_CONCURRENCY).toBeLessThan(40);
    // A larger instance runs more downloads at once, and so keeps more parts.
    expect(scratchBytes([target(big(40, 20 * MiB))], 'sync', 38)).toBe(38 * part);
  });

  it('packs small files into parts of PART_SIZE, as staging does', () => {
    const sizes = partSizes([{ target: 'x', files: big(100, MiB) }]);
    expect(sizes.length).toBeGreaterThan(6);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(PART_SIZE + 1024);
    expect(scratchBytes([target(big(100, MiB))], 'sync')).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('counts unchanged files too: the re-plan after a base mismatch sends every file', () => {
    const unchangedBig = diffPlan(
      'local',
      'x',
      { files: [local('model.bin', 5 * 1024 * MiB), local('a.txt', 3, 'sha-new')], dirs: [] },
      state('x', { files: [local('model.bin', 5 * 1024 * MiB), local('a.txt', 3)], dirs: [] }),
      { delete: true },
      { root: '/ws/x' },
    );
    expect(filesToStage([unchangedBig], 'sync')[0]?.files.map((f) => f.path)).toEqual(['a.txt']);
    expect(scratchBytes([unchangedBig], 'sync')).toBeGreaterThan(5 * 1024 * MiB);
  });

  it('is nothing for S3 objects (written straight to EFS) and for a rollback', () => {
    expect(scratchBytes([ml], 'sync')).toBe(0);
    expect(scratchBytes([models, lib], 'rollback')).toBe(0);
  });
});

describe('sourceObjects', () => {
  it('lists the changed S3 objects with their full key', () => {
    expect(sourceObjects([models, ml, mixed], 'sync')).toEqual([
      { bucket: 'ml-models', key: 'bert/v.bin' },
      { bucket: 'src', key: 'from-s3.bin' },
    ]);
    expect(sourceObjects([ml], 'rollback')).toEqual([]);
  });
});

describe('buildJob', () => {
  it('carries the run, the mount, the limits and the URLs', () => {
    const job = buildJob(input([models]));
    expect(job).toMatchObject({
      version: 1,
      runId: 'run-1',
      fileSystemId: 'fs-0123',
      mount: MOUNT,
      lockTimeoutSeconds: 120,
      keepReleases: 3,
      keepReleasesMinutes: 1440,
      concurrency: AGENT_CONCURRENCY,
      parts: [PART],
      logUrl: 'https://s3/log',
      resultUrl: 'https://s3/result',
      agent: { url: 'https://s3/agent', sha256: 'a'.repeat(64) },
    });
    expect(AGENT_CONCURRENCY).toBe(16);
    // The instance's size sets it (core/instance-size.ts, agentConcurrency).
    expect(buildJob({ ...input([models]), concurrency: 45 }).concurrency).toBe(45);
  });

  it('asks the agent to import the dependencies only when told to (the writer function, remote/lambda/imports.ts)', () => {
    expect(buildJob(input([models]))).not.toHaveProperty('verifyImports');
    expect(buildJob({ ...input([models]), verifyImports: { skip: ['yaml'] } }).verifyImports).toEqual({
      skip: ['yaml'],
    });
  });

  it('takes an unchanged file from the base, a changed one from its part, an S3 object from its URL', () => {
    const job = buildJob(input([models, ml]));
    const [modelsJob, mlJob] = job.targets;
    expect(modelsJob).toEqual({
      target: 'models',
      kind: 'local',
      action: 'sync',
      releaseId: newReleaseId(models.tree, NOW),
      baseReleaseId: 'base-models',
      dirs: [{ path: 'd', mode: 0o755 }],
      files: [
        { ...local('edit.txt', 11, 'sha-edit2'), source: { from: 'part', part: 'part-0001.tar', member: 'm/0' } },
        { ...local('new.txt'), source: { from: 'part', part: 'part-0001.tar', member: 'm/1' } },
        { ...local('same.txt'), source: { from: 'base' } },
      ],
      deleted: ['gone.txt'],
    });
    expect(mlJob?.baseReleaseId).toBe('base-ml');
    expect(mlJob?.files).toEqual([
      {
        ...object('v.bin'),
        source: {
          from: 'url',
          url: 'https://presigned/ml-models/bert/v.bin',
          verify: 'crc64nvme',
          digest: '0123456789abcdef',
        },
      },
      { ...object('w.bin'), source: { from: 'base' } },
    ]);
  });

  it('has no base release when every file changes', () => {
    const [libJob] = buildJob(input([lib])).targets;
    expect(libJob?.baseReleaseId).toBeNull();
    // Even with a published state: nothing is linked from it.
    const rewritten = diffPlan(
      'local',
      'models',
      models.tree,
      models.previous,
      { delete: true, full: true },
      {
        root: '/ws/models',
      },
    );
    const all = members({ models: { 'edit.txt': 'm/0', 'new.txt': 'm/1', 'same.txt': 'm/2' } });
    expect(buildJob(input([rewritten], { members: all })).targets[0]?.baseReleaseId).toBeNull();
  });

  it('lists deleted files only when deleting what is gone', () => {
    expect(buildJob(input([models])).targets[0]?.deleted).toEqual(['gone.txt']);
    expect(buildJob(input([models], { deleteGone: false })).targets[0]?.deleted).toEqual([]);
  });

  it('gives a rollback no files and no release id', () => {
    const back = rollbackPlan('local', 'models', models.previous);
    const job = buildJob(input([back], { action: 'rollback', releaseIds: newReleaseIds([back], 'rollback', NOW) }));
    expect(job.targets).toEqual([
      {
        target: 'models',
        kind: 'local',
        action: 'rollback',
        releaseId: '',
        baseReleaseId: null,
        dirs: [],
        files: [],
        deleted: [],
      },
    ]);
    // Even a sync plan's files are left out of a rollback.
    expect(buildJob(input([models], { action: 'rollback' })).targets[0]?.files).toEqual([]);
  });

  it('throws for a changed file that was not staged', () => {
    const partial = members({ models: { 'edit.txt': 'm/0' } });
    expect(() => buildJob(input([models], { members: partial }))).toThrow('new.txt of models was not staged');
    expect(() => buildJob(input([models], { members: new Map() }))).toThrow('edit.txt of models was not staged');
  });
});
