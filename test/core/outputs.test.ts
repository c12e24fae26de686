import { describe, expect, it } from 'vitest';
import { OUTPUT_NAMES, outputsOf } from '../../src/core/outputs.js';
import { emptyStats, type SyncResult } from '../../src/core/result.js';

function result(extra: Partial<SyncResult> = {}): SyncResult {
  return {
    changed: false,
    paths: [],
    releaseIds: {},
    stats: emptyStats(),
    targets: [],
    plan: [],
    lambda: { mountPath: '/mnt/efs' },
    ...extra,
  };
}

describe('outputsOf', () => {
  it('gives every output, with the path of each kind of target', () => {
    const stats = emptyStats();
    stats.files.added = 2;
    stats.bytes.uploaded = 300;
    const outputs = outputsOf(
      result({
        changed: true,
        engine: 'instance',
        instanceId: 'i-0abc',
        instanceSource: 'launched',
        warmUntil: '2026-12-01T12:15:00.000Z',
        paths: [
          { kind: 'pip', target: 'lib', lambdaPath: '/mnt/efs/lib', efsPath: '/lambda/lib' },
          { kind: 'local', target: 'models', lambdaPath: '/mnt/efs/models', efsPath: '/lambda/models' },
          { kind: 's3', target: 'ml', lambdaPath: '/mnt/efs/ml', efsPath: '/lambda/ml' },
        ],
        releaseIds: { lib: '20260101T000000Z-0a1b2c3d', models: '20260101T000000Z-11111111' },
        stats,
      }),
    );
    expect(outputs).toEqual({
      changed: 'true',
      engine: 'instance',
      'instance-id': 'i-0abc',
      'instance-source': 'launched',
      'warm-until': '2026-12-01T12:15:00.000Z',
      'pip-path': '/mnt/efs/lib',
      'local-path': '/mnt/efs/models',
      's3-path': '/mnt/efs/ml',
      'efs-pip-path': '/lambda/lib',
      'efs-local-path': '/lambda/models',
      'efs-s3-path': '/lambda/ml',
      'release-ids': '{"lib":"20260101T000000Z-0a1b2c3d","models":"20260101T000000Z-11111111"}',
      stats: JSON.stringify(stats),
    });
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
  });

  it('gives empty strings for what the run did not have', () => {
    const outputs = outputsOf(
      result({ paths: [{ kind: 'local', target: 'models', lambdaPath: '/mnt/efs/models', efsPath: '/models' }] }),
    );
    expect(outputs).toMatchObject({
      changed: 'false',
      'instance-id': '',
      'pip-path': '',
      'local-path': '/mnt/efs/models',
      's3-path': '',
      'efs-pip-path': '',
      'efs-local-path': '/models',
      'efs-s3-path': '',
      'release-ids': '{}',
    });
    expect(JSON.parse(outputs.stats)).toEqual({
      files: { added: 0, changed: 0, deleted: 0 },
      bytes: { added: 0, changed: 0, deleted: 0, uploaded: 0 },
      seconds: { plan: 0, stage: 0, instance: 0, remote: 0, cleanup: 0 },
    });
  });
});
