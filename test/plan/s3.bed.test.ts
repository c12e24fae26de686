// listS3Tree and the published state, against the local AWS test bed (moto behind the project's front).
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedState } from '../../src/core/published.js';
import { findState, legacyStateKey, stateKey } from '../../src/plan/place.js';
import { listS3Tree, relativeKeyPath, S3SourceError } from '../../src/plan/s3-source.js';
import { readPublishedState, StateError, writePublishedState } from '../../src/plan/state.js';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { SOURCE_OBJECTS } from '../../testbed/seed.ts';
import { md5 } from '../support/hash.ts';
import { clients } from '../support/local-aws.ts';

let aws: LocalAws;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = clients(aws).s3;
  bucket = aws.info.stagingBucket;
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  await aws?.stop();
});

const put = (key: string, body = key) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));

async function listError(prefix: string): Promise<string> {
  const error = await listS3Tree(s3, { bucket, prefix }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(S3SourceError);
  return (error as Error).message;
}

describe('listS3Tree', () => {
  it('lists the seeded model: paths below the prefix, sizes, mode 0644, ETags without quotes, parent dirs', async () => {
    const tree = await listS3Tree(s3, { bucket: aws.info.sourceBucket, prefix: aws.info.sourcePrefix });
    const expected = Object.entries(SOURCE_OBJECTS)
      .map(([path, body]) => ({ path, size: Buffer.byteLength(body), mode: 0o644, etag: md5(body) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(tree).toEqual({ files: expected, dirs: [{ path: 'weights', mode: 0o755 }] });
  });

  it('reads every page', async () => {
    const tree = await listS3Tree(
      s3,
      { bucket: aws.info.sourceBucket, prefix: aws.info.sourcePrefix },
      { pageSize: 1 },
    );
    expect(tree.files.map((f) => f.path)).toEqual(Object.keys(SOURCE_OBJECTS).sort());
  });

  it('turns folder markers into directories and skips the prefix marker', async () => {
    await put('markers/', '');
    await put('markers/empty/', '');
    await put('markers/a/b/c.txt');
    const tree = await listS3Tree(s3, { bucket, prefix: 'markers/' });
    expect(tree.files.map((f) => f.path)).toEqual(['a/b/c.txt']);
    expect(tree.dirs).toEqual([
      { path: 'a', mode: 0o755 },
      { path: 'a/b', mode: 0o755 },
      { path: 'empty', mode: 0o755 },
    ]);
  });

  it('lists a whole bucket with an empty prefix', async () => {
    const tree = await listS3Tree(s3, { bucket: aws.info.sourceBucket, prefix: '' });
    expect(tree.files.map((f) => f.path)).toEqual(
      Object.keys(SOURCE_OBJECTS)
        .map((key) => `${aws.info.sourcePrefix}${key}`)
        .sort(),
    );
    expect(tree.dirs.map((d) => d.path)).toEqual(['models', 'models/bert', 'models/bert/weights']);
  });

  it('gives a new ETag when an object is rewritten with other content', async () => {
    await put('rewrite/model.bin', 'v1');
    const first = await listS3Tree(s3, { bucket, prefix: 'rewrite/' });
    await put('rewrite/model.bin', 'v2');
    const second = await listS3Tree(s3, { bucket, prefix: 'rewrite/' });
    expect(first.files[0]?.etag).toBe(md5('v1'));
    expect(second.files[0]?.etag).toBe(md5('v2'));
  });

  it.each([
    ['unsafe-empty/', 'unsafe-empty/a//b.txt'],
    ['unsafe-dot/', 'unsafe-dot/a/./b.txt'],
    ['unsafe-abs/', 'unsafe-abs//etc/passwd'],
  ])('refuses a key that cannot be written safely (%s)', async (prefix, key) => {
    await put(key);
    expect(await listError(prefix)).toMatch(
      new RegExp(
        `^The S3 object ${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be written safely`,
      ),
    );
  });

  it('refuses a file and a directory under one name', async () => {
    await put('clash/model');
    await put('clash/model/part-1');
    expect(await listError('clash/')).toBe(
      'The S3 objects "clash/model" and "clash/model/part-1" cannot both be written: model would have to be a file ' +
        'and a directory. Rename one of them.',
    );
  });

  it('says when the bucket does not exist', async () => {
    const error = await listS3Tree(s3, { bucket: 'efsync-no-such-bucket', prefix: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3SourceError);
    expect((error as Error).message).toBe(
      'Cannot list s3://efsync-no-such-bucket/: the bucket does not exist (check s3-source and the region).',
    );
  });
});

describe('relativeKeyPath', () => {
  it.each(['p/', 'p/a/../b', 'p/..', 'p/a/.', 'p//x', 'p/a\0b'])('refuses %j', (key) => {
    expect(() => relativeKeyPath(key, 'p/')).toThrow(S3SourceError);
  });

  it('keeps odd but safe names', () => {
    expect(relativeKeyPath('p/a b/$(x)/ü..txt', 'p/')).toBe('a b/$(x)/ü..txt');
  });
});

describe('published state', () => {
  const state: PublishedState = {
    version: 1,
    fileSystemId: 'fs-0123',
    target: 'lib',
    kind: 'pip',
    releaseId: '20240101T000000Z-abcdef12',
    publishedAt: '2024-01-01T00:00:00.000Z',
    key: 'f'.repeat(64),
    tree: {
      files: [{ path: 'a/__init__.py', size: 3, mode: 0o644, sha256: 'a'.repeat(64) }],
      dirs: [{ path: 'a', mode: 0o755 }],
    },
  };

  it('is undefined before the first publish', async () => {
    expect(await readPublishedState(s3, bucket, stateKey('', { fileSystemId: 'fs-none', root: '/' }, 'lib'))).toBe(
      undefined,
    );
  });

  it('reads back what was written', async () => {
    const key = stateKey('rt/', { fileSystemId: state.fileSystemId, root: '/lambda' }, state.target);
    await writePublishedState(s3, bucket, key, state);
    expect(await readPublishedState(s3, bucket, key)).toEqual(state);
  });

  it.each([
    ['not JSON', '{"version": 1,', 'it is not JSON'],
    ['another version', JSON.stringify({ ...state, version: 2 }), 'it has version 2, this action reads version 1'],
    [
      'a malformed tree',
      JSON.stringify({ ...state, tree: { files: [{ path: 'x' }], dirs: [] } }),
      'tree file #0 is malformed',
    ],
    ['an unknown kind', JSON.stringify({ ...state, kind: 'zip' }), '"kind" is not pip, local or s3'],
  ])('with %s says to delete the object', async (name, body, problem) => {
    const key = `bad/${name}.json`;
    await put(key, body);
    const error = await readPublishedState(s3, bucket, key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(
      `The published state s3://${bucket}/${key} cannot be used: ${problem}. Delete this object to re-publish the ` +
        'target in full on the next run.',
    );
  });

  it('carries a legacy state over only until the place has its own, and never in a re-plan or for another key', async () => {
    const atRoot = { fileSystemId: 'fs-carry', root: '/' };
    const underLambda = { fileSystemId: 'fs-carry', root: '/lambda/' };
    const legacy = { ...state, fileSystemId: 'fs-carry', releaseId: '20260101T000000Z-0000000a' };
    await writePublishedState(s3, bucket, legacyStateKey('c/', 'fs-carry', 'lib'), legacy);
    // No state at either place yet: each may carry the legacy one over, to be confirmed by the agent.
    for (const place of [atRoot, underLambda])
      expect(await findState(s3, bucket, 'c/', place, 'lib')).toEqual({
        state: legacy,
        key: stateKey('c/', place, 'lib'),
        carriedFrom: 'c/state/fs-carry/lib.json',
      });
    // A re-plan after the agent did not find its release (or a rollback) ignores it: a fresh publish.
    expect(await findState(s3, bucket, 'c/', atRoot, 'lib', { ownOnly: true })).toEqual({
      key: 'c/state/fs-carry/.efsync-root=%2F/lib.json',
    });
    // Once the place has its own state, that is what it plans against; the other place is unaffected.
    const own = { ...legacy, root: '/lambda', releaseId: '20260102T000000Z-0000000b' };
    await writePublishedState(s3, bucket, stateKey('c/', underLambda, 'lib'), own);
    expect(await findState(s3, bucket, 'c/', underLambda, 'lib')).toEqual({
      state: own,
      key: 'c/state/fs-carry/.efsync-root=%2Flambda/lib.json',
    });
    expect((await findState(s3, bucket, 'c/', atRoot, 'lib')).carriedFrom).toBe('c/state/fs-carry/lib.json');
    // Another target's legacy state is not this one's.
    expect(await findState(s3, bucket, 'c/', atRoot, 'models')).toEqual({
      key: 'c/state/fs-carry/.efsync-root=%2F/models.json',
    });
  });

  it('reports a bucket it cannot read', async () => {
    await expect(readPublishedState(s3, 'efsync-no-such-bucket', 'state/x.json')).rejects.toThrow(
      /^Cannot read the published state s3:\/\/efsync-no-such-bucket\/state\/x\.json: /,
    );
  });
});

describe('inspectObjects on the test bed', () => {
  it('verifies an SSE-KMS object by its full-object checksum, never its ETag; refuses a GLACIER object', async () => {
    const { inspectObjects } = await import('../../src/plan/s3-objects.js');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'kms/a.bin',
        Body: Buffer.from('kms'),
        ServerSideEncryption: 'aws:kms',
      }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'cold/a.bin', Body: Buffer.from('cold'), StorageClass: 'GLACIER' }),
    );
    const checks = await inspectObjects(s3, { bucket, prefix: 'kms/' }, [
      { path: 'a.bin', key: 'kms/a.bin', etag: md5('kms') },
    ]);
    expect(checks.get('a.bin')?.verify).not.toBe('md5');
    const error = await inspectObjects(s3, { bucket, prefix: 'cold/' }, [
      { path: 'a.bin', key: 'cold/a.bin', etag: md5('cold') },
    ]).catch((e: unknown) => e);
    expect(String(error)).toContain('S3 source objects are archived and not restored: "cold/a.bin"');
  });
});
