// The real agent, run with Python 3.9 on a directory that stands for the mounted file system (--mounted).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Tree } from '../../src/core/tree.ts';
import { AGENT_EXIT, type JobManifest } from '../../src/remote/protocol.ts';
import { md5, sha256 } from '../support/hash.ts';
import {
  Bucket,
  job,
  listing,
  PYTHON,
  plan,
  readJson,
  rollback,
  runAgent,
  type Spec,
  served,
  snapshot,
  tmpDir,
  treeOf,
} from './harness.ts';

let bucket: Bucket;
let efs: string;

beforeAll(async () => {
  bucket = await Bucket.start();
});
afterAll(() => bucket.close());
beforeEach(() => {
  efs = tmpDir('efsync-efs-');
});
afterEach(() => fs.rmSync(efs, { recursive: true, force: true }));

const V1: Record<string, Spec> = {
  'app.py': { data: 'print("hello")\n' },
  'bin/run.sh': { data: '#!/bin/sh\necho run\n', mode: 0o755 },
  'data/model.bin': { data: Buffer.alloc(300_000, 7) },
  'data/secret.txt': { data: 'only me\n', mode: 0o600 },
};

/** Publishes a release and checks that the agent said so. */
async function publish(
  target: string,
  releaseId: string,
  files: Record<string, Spec>,
  extra = {},
  over: Partial<JobManifest> = {},
) {
  const planned = await plan(bucket, { target, releaseId, files, ...extra });
  const run = await runAgent(job(bucket, [planned], over), efs);
  expect(run.stderr).toBe('');
  expect(run.result?.status).toBe('ok');
  expect(run.code).toBe(AGENT_EXIT.ok);
  return { planned, run };
}

const inode = (p: string) => fs.statSync(path.join(efs, p)).ino;

describe('a first publish of a target', () => {
  it('builds the release beside the target and points the target at it with a relative symlink', async () => {
    const { planned, run } = await publish('lib', 'r1', V1, { dirs: { data: 0o750 } });
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(fs.readdirSync(efs).sort()).toEqual(['.efsync.lock', '.lib.efsync', 'lib']);
    expect(fs.readdirSync(path.join(efs, '.lib.efsync')).sort()).toEqual(['history.json', 'r1', 'r1.json']);
    expect(served(efs)).toEqual(['r1']);
    expect(readJson<Tree>(path.join(efs, '.lib.efsync/r1.json'))).toEqual(treeOf(planned.target));
    // The release holds exactly the source: bytes, modes, and nothing of efsync's.
    expect(listing(path.join(efs, 'lib'))).toEqual({
      'app.py': { data: 'print("hello")\n', mode: 0o644 },
      bin: { data: '<dir>', mode: 0o755 },
      'bin/run.sh': { data: '#!/bin/sh\necho run\n', mode: 0o755 },
      data: { data: '<dir>', mode: 0o750 },
      'data/model.bin': { data: Buffer.alloc(300_000, 7).toString('utf8'), mode: 0o644 },
      'data/secret.txt': { data: 'only me\n', mode: 0o600 },
    });
    expect(run.result?.targets).toEqual([
      {
        target: 'lib',
        status: 'published',
        releaseId: 'r1',
        previousReleaseId: null,
        filesWritten: 4,
        bytesWritten: 15 + 19 + 300_000 + 8,
        filesLinked: 0,
        filesDeleted: 0,
        releasesPruned: [],
      },
    ]);
  });

  it('publishes a nested target beside its name, leaving the rest of the file system alone', async () => {
    fs.mkdirSync(path.join(efs, 'models'));
    fs.writeFileSync(path.join(efs, 'models/README'), 'mine');
    await publish('models/current', 'r1', { 'weights.bin': { data: 'w1' } });
    expect(fs.readlinkSync(path.join(efs, 'models/current'))).toBe('.current.efsync/r1');
    expect(fs.readdirSync(path.join(efs, 'models')).sort()).toEqual(['.current.efsync', 'README', 'current']);
    expect(fs.readdirSync(efs).sort()).toEqual(['.efsync.lock', 'models']);
    expect(fs.readFileSync(path.join(efs, 'models/current/weights.bin'), 'utf8')).toBe('w1');
    expect(served(efs, 'models/current')).toEqual(['r1']);
  });

  it('reads a gzip-compressed part too', async () => {
    await publish('lib', 'r1', V1, { gzip: true });
    expect(fs.readFileSync(path.join(efs, 'lib/bin/run.sh'), 'utf8')).toBe('#!/bin/sh\necho run\n');
    expect(fs.statSync(path.join(efs, 'lib/data/secret.txt')).mode & 0o777).toBe(0o600);
  });
});

describe('a second release', () => {
  it('hard-links unchanged files, writes changed ones anew, drops deleted ones and keeps the first intact', async () => {
    const first = await publish('lib', 'r1', V1);
    const before = snapshot(path.join(efs, '.lib.efsync/r1'));
    const { run } = await publish(
      'lib',
      'r2',
      {
        'app.py': { data: 'print("hello")\n', from: 'base' },
        'data/model.bin': { data: Buffer.alloc(300_000, 7), from: 'base' },
        'bin/run.sh': { data: '#!/bin/sh\necho run faster\n', mode: 0o755 },
        // Same content, new mode: must not chmod the first release's inode through a link.
        'data/secret.txt': { data: 'only me\n', mode: 0o640, from: 'base' },
      },
      { baseReleaseId: 'r1', deleted: ['gone.txt'] },
    );
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r2');
    expect(inode('.lib.efsync/r2/app.py')).toBe(inode('.lib.efsync/r1/app.py'));
    expect(inode('.lib.efsync/r2/data/model.bin')).toBe(inode('.lib.efsync/r1/data/model.bin'));
    expect(inode('.lib.efsync/r2/bin/run.sh')).not.toBe(inode('.lib.efsync/r1/bin/run.sh'));
    expect(inode('.lib.efsync/r2/data/secret.txt')).not.toBe(inode('.lib.efsync/r1/data/secret.txt'));
    expect(fs.statSync(path.join(efs, 'lib/data/secret.txt')).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(path.join(efs, 'lib/bin/run.sh'), 'utf8')).toBe('#!/bin/sh\necho run faster\n');
    expect(snapshot(path.join(efs, '.lib.efsync/r1'))).toEqual(before);
    expect(readJson<Tree>(path.join(efs, '.lib.efsync/r1.json'))).toEqual(treeOf(first.planned.target));
    expect(served(efs)).toEqual(['r1', 'r2']);
    expect(run.result?.targets[0]).toMatchObject({
      status: 'published',
      releaseId: 'r2',
      previousReleaseId: 'r1',
      filesLinked: 2,
      filesWritten: 2,
      bytesWritten: 26 + 8,
      filesDeleted: 1,
    });
  });

  it('leaves a file out of the new release when the plan no longer lists it', async () => {
    await publish('lib', 'r1', V1);
    await publish('lib', 'r2', { 'app.py': { data: 'print("hello")\n', from: 'base' } }, { baseReleaseId: 'r1' });
    expect(Object.keys(listing(path.join(efs, 'lib')))).toEqual(['app.py']);
    expect(Object.keys(listing(path.join(efs, '.lib.efsync/r1'))).length).toBe(6);
  });

  it('removes what a killed run left in the releases directory, and nothing else', async () => {
    await publish('lib', 'r1', V1);
    fs.mkdirSync(path.join(efs, '.lib.efsync/.tmp-r9/deep'), { recursive: true });
    fs.writeFileSync(path.join(efs, '.lib.efsync/.tmp-r9/deep/half.bin'), 'half');
    fs.writeFileSync(path.join(efs, '.lib.efsync/.tmp-history.json'), '["r1", "r');
    // A release renamed into place but never switched to, nor recorded: rebuilt, not trusted.
    fs.mkdirSync(path.join(efs, '.lib.efsync/r2'));
    fs.writeFileSync(path.join(efs, '.lib.efsync/r2/stale.txt'), 'stale');
    const { run } = await publish('lib', 'r2', { 'app.py': { data: 'v2' } }, { baseReleaseId: 'r1' });
    expect(fs.readdirSync(path.join(efs, '.lib.efsync')).sort()).toEqual([
      'history.json',
      'r1',
      'r1.json',
      'r2',
      'r2.json',
    ]);
    expect(Object.keys(listing(path.join(efs, 'lib')))).toEqual(['app.py']);
    expect(run.stdout).toContain('removing ".tmp-r9", left by an interrupted run');
  });

  it('fails, serving the first release still, when a file to keep is gone from it', async () => {
    await publish('lib', 'r1', V1);
    fs.rmSync(path.join(efs, '.lib.efsync/r1/app.py'));
    const before = snapshot(efs);
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'app.py': { data: 'print("hello")\n', from: 'base' }, 'new.txt': { data: 'new' } },
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toBe(
      'file "app.py" should be kept from release r1 but is missing or changed there; publish again with a full upload',
    );
    expect(snapshot(efs)).toEqual(before);
  });

  it('re-running a job whose release is already served changes nothing', async () => {
    const { planned } = await publish('lib', 'r1', V1);
    const before = snapshot(efs);
    const again = await runAgent(job(bucket, [planned]), efs);
    expect(again.code).toBe(AGENT_EXIT.ok);
    expect(again.result?.targets[0]).toMatchObject({ status: 'published', releaseId: 'r1', filesWritten: 0 });
    expect(snapshot(efs)).toEqual(before);
  });
});

describe('url sources (s3-source objects)', () => {
  it('downloads objects and checks their size and MD5 ETag; a multipart ETag is not an MD5', async () => {
    const big = Buffer.alloc(2_500_000, 1);
    const { run } = await publish('models/current', 'r1', {
      'config.json': { data: '{"a":1}', from: 'url' },
      'weights/big.bin': { data: big, from: 'url', etag: `${md5('whatever')}-3` },
      'flaky.txt': { data: 'retried', from: 'url', serveOptions: { failTimes: 2 } },
    });
    expect(fs.readFileSync(path.join(efs, 'models/current/config.json'), 'utf8')).toBe('{"a":1}');
    expect(sha256(fs.readFileSync(path.join(efs, 'models/current/weights/big.bin')))).toBe(sha256(big));
    expect(fs.readFileSync(path.join(efs, 'models/current/flaky.txt'), 'utf8')).toBe('retried');
    expect(run.result?.targets[0]).toMatchObject({ filesWritten: 3, bytesWritten: 7 + 2_500_000 + 7 });
    expect(run.stdout).toMatch(/download of object "flaky.txt" failed \(HTTP 500/);
  });

  it("records in the release's tree how each file was verified, and keeps it for the files the next release links", async () => {
    const objects = {
      'local.txt': { data: 'from a part\n' },
      'plain.bin': { data: 'an MD5 ETag\n', from: 'url' },
      'kms.bin': {
        data: 'S3 keeps a SHA-1\n',
        from: 'url',
        etag: 'a'.repeat(32),
        check: { verify: 'sha1', digest: createHash('sha1').update('S3 keeps a SHA-1\n').digest('hex') },
      },
      'multipart.bin': { data: 'nothing but its size\n', from: 'url', etag: `${md5('x')}-2` },
    } satisfies Record<string, Spec>;
    const { planned } = await publish('models', 'r1', objects);
    const first = readJson<Tree>(path.join(efs, '.models.efsync/r1.json'));
    expect(Object.fromEntries(first.files.map((f) => [f.path, f.verified]))).toEqual({
      'kms.bin': 'sha1',
      'local.txt': 'sha256',
      'multipart.bin': 'size',
      'plain.bin': 'md5',
    });
    expect(first).toEqual(treeOf(planned.target));

    // r2 links three of them and writes one anew: the links say what r1's tree says.
    const next: Record<string, Spec> = {
      ...Object.fromEntries(Object.entries(objects).map(([name, spec]) => [name, { ...spec, from: 'base' as const }])),
      'plain.bin': { data: 'changed\n', from: 'url' },
    };
    const second = await publish('models', 'r2', next, { baseReleaseId: 'r1' });
    const tree = readJson<Tree>(path.join(efs, '.models.efsync/r2.json'));
    expect(tree).toEqual(treeOf(second.planned.target, first));
    expect(Object.fromEntries(tree.files.map((f) => [f.path, f.verified]))).toEqual({
      'kms.bin': 'sha1',
      'local.txt': 'sha256',
      'multipart.bin': 'size',
      'plain.bin': 'md5',
    });

    // A base release whose tree says nothing (made before the field): its linked files say nothing either.
    const r2 = path.join(efs, '.models.efsync/r2.json');
    fs.writeFileSync(r2, fs.readFileSync(r2, 'utf8').replace(/, "verified": "[a-z0-9]+"/g, ''));
    await publish('models', 'r3', { 'local.txt': { data: 'from a part\n', from: 'base' } }, { baseReleaseId: 'r2' });
    expect(readJson<Tree>(path.join(efs, '.models.efsync/r3.json')).files).toEqual([
      { path: 'local.txt', size: 12, mode: 0o644, sha256: sha256('from a part\n') },
    ]);
  });

  it('reports progress of a long transfer: done, total, rate and time left', async () => {
    // 5 MiB at no more than 16 KiB per 20 ms takes over 6 s, so at least one progress line is due.
    const big = Buffer.alloc(5 * 1024 * 1024, 2);
    const { run } = await publish('lib', 'r1', {
      'big.bin': { data: big, from: 'url', serveOptions: { drip: 16384 } },
    });
    expect(run.stdout).toMatch(/ progress: [\d.]+ (KiB|MiB) of 5\.0 MiB, [\d.]+ (KiB|MiB)\/s, about \d+ s left\n/);
    expect(sha256(fs.readFileSync(path.join(efs, 'lib/big.bin')))).toBe(sha256(big));
  });

  const failures: [string, Spec, RegExp][] = [
    ['an object whose MD5 differs from its ETag', { data: 'good', served: 'evil', from: 'url' }, /MD5 .* the ETag/],
    [
      "an object whose SHA256 differs from S3's checksum (an SSE-KMS ETag is no MD5)",
      {
        data: 'good',
        served: 'evil',
        from: 'url',
        etag: md5('other'),
        check: { verify: 'sha256', digest: sha256('good') },
      },
      /SHA256 [0-9a-f]{64}, expected S3's checksum/,
    ],
    [
      'an object of the wrong size',
      { data: 'twelve bytes', served: 'short', from: 'url' },
      /"new.bin" is 5 bytes, the plan says 12: it changed since/,
    ],
    [
      'a connection cut short',
      { data: 'x'.repeat(5000), from: 'url', serveOptions: { truncateTo: 100 } },
      /got 100 bytes, expected 5000/,
    ],
    ['an expired presigned URL', { data: 'x', from: 'url', serveOptions: { status: 403 } }, /HTTP 403.*expired/],
  ];
  for (const [what, spec, message] of failures) {
    it(`fails on ${what}, leaving the served release as it was`, async () => {
      await publish('lib', 'r1', V1);
      const before = snapshot(efs);
      const planned = await plan(bucket, {
        target: 'lib',
        releaseId: 'r2',
        baseReleaseId: 'r1',
        files: { 'app.py': { data: 'print("hello")\n', from: 'base' }, 'new.bin': spec },
      });
      const run = await runAgent(job(bucket, [planned]), efs);
      expect(run.code).toBe(AGENT_EXIT.downloadFailed);
      expect(run.result).toMatchObject({ status: 'error', targets: [{ target: 'lib', status: 'failed' }] });
      expect(run.result?.error).toMatch(message);
      expect(run.result?.error).toContain('"new.bin"');
      expect(snapshot(efs)).toEqual(before);
    });
  }

  it('fails on an S3 it cannot connect to, naming S3 and the route it needs', async () => {
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r1',
      files: { 'new.bin': { data: 'x', from: 'url' } },
    });
    const source = planned.target.files[0]?.source;
    // A port nothing listens on: every connection is refused, as no route to S3 makes every one fail.
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (source?.from === 'url') source.url = `http://127.0.0.1:${closed}/bucket/new.bin`;
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.downloadFailed);
    expect(run.result?.error).toMatch(
      /^cannot download object "new.bin": cannot reach S3 \(.*Connection refused, 5 attempts in \d+ s\): the instance's subnet needs a route to S3 \(an S3 gateway endpoint on its route table, or a NAT gateway\)$/,
    );
  });
});

describe('staged parts', () => {
  it('refuses a corrupted part: status error, served release untouched, nothing left behind', async () => {
    await publish('lib', 'r1', V1);
    const before = snapshot(efs);
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'app.py': { data: 'new' }, 'data/model.bin': { data: Buffer.alloc(300_000, 7), from: 'base' } },
      corruptPart: true,
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.downloadFailed);
    expect(run.result?.status).toBe('error');
    expect(run.result?.error).toMatch(
      /^part "r2-lib-0001.tar" is corrupt: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}$/,
    );
    expect(snapshot(efs)).toEqual(before);
  });

  it('refuses a file whose content does not match its sha256 in the plan', async () => {
    const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'a.txt': { data: 'aaa' } } });
    const file = planned.target.files[0];
    if (file) file.sha256 = sha256('bbb');
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.downloadFailed);
    expect(run.result?.error).toMatch(/^file "a.txt" from part "r1-lib-0001.tar" does not verify: sha256/);
    expect(fs.existsSync(path.join(efs, 'lib'))).toBe(false);
    expect(fs.readdirSync(path.join(efs, '.lib.efsync'))).toEqual([]);
  });

  it('refuses a member that the part does not hold', async () => {
    const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'a.txt': { data: 'aaa' } } });
    const source = planned.target.files[0]?.source;
    if (source?.from === 'part') source.member = 'b.txt';
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.downloadFailed);
    expect(run.result?.error).toBe('part "r1-lib-0001.tar" has no regular file member "b.txt" (for "a.txt")');
  });

  it('downloads a part shared by two targets once', async () => {
    const a = await plan(bucket, {
      target: 'a',
      releaseId: 'r1',
      files: { 'x.txt': { data: 'x' }, 'y.txt': { data: 'y' } },
    });
    const b = await plan(bucket, { target: 'b', releaseId: 'r1', files: {} });
    b.target.files = a.target.files.filter((f) => f.path === 'y.txt');
    a.target.files = a.target.files.filter((f) => f.path === 'x.txt');
    const gets = bucket.gets.length;
    const run = await runAgent(job(bucket, [a, b]), efs);
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(bucket.gets.slice(gets)).toEqual(['parts/r1-a-0001.tar']);
    expect(fs.readdirSync(path.join(efs, 'a'))).toEqual(['x.txt']);
    expect(fs.readdirSync(path.join(efs, 'b'))).toEqual(['y.txt']);
  });
});

describe('base mismatch', () => {
  it('writes nothing when the target does not serve the release the plan was made against', async () => {
    await publish('lib', 'r1', V1);
    await publish('other', 'o1', { 'o.txt': { data: 'o' } });
    const before = snapshot(efs);
    const gets = bucket.gets.length;
    const lib = await plan(bucket, {
      target: 'lib',
      releaseId: 'r3',
      baseReleaseId: 'r2',
      files: { 'a.txt': { data: 'a' } },
    });
    const other = await plan(bucket, { target: 'other', releaseId: 'o2', files: { 'o.txt': { data: 'o2' } } });
    const run = await runAgent(job(bucket, [lib, other]), efs);
    expect(run.code).toBe(AGENT_EXIT.baseMismatch);
    expect(run.result).toMatchObject({
      status: 'base-mismatch',
      targets: [{ target: 'lib', status: 'base-mismatch', actualReleaseId: 'r1', releaseId: 'r3' }],
    });
    expect(run.result?.targets).toHaveLength(1);
    expect(run.result?.error).toBeUndefined();
    expect(snapshot(efs)).toEqual(before);
    expect(bucket.gets.slice(gets)).toEqual([]);
  });

  it('reports a target with no release at all as a mismatch with actualReleaseId null', async () => {
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { a: { data: 'a' } },
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.baseMismatch);
    expect(run.result?.targets[0]).toMatchObject({ status: 'base-mismatch', actualReleaseId: null });
    expect(fs.readdirSync(efs)).toEqual(['.efsync.lock']);
  });
});

describe('a plain directory at the target', () => {
  it('is moved aside once as a legacy release, kept for rollback', async () => {
    fs.mkdirSync(path.join(efs, 'lib/pkg'), { recursive: true });
    fs.writeFileSync(path.join(efs, 'lib/pkg/__init__.py'), 'old = True\n');
    const { run } = await publish('lib', 'r1', V1);
    const history = served(efs);
    expect(history).toHaveLength(2);
    const [legacy] = history;
    expect(legacy).toMatch(/^legacy-\d{8}T\d{6}Z$/);
    expect(history[1]).toBe('r1');
    expect(run.result?.targets[0]?.previousReleaseId).toBe(legacy);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(fs.readFileSync(path.join(efs, `.lib.efsync/${legacy}/pkg/__init__.py`), 'utf8')).toBe('old = True\n');

    const back = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(back.code).toBe(AGENT_EXIT.ok);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe(`.lib.efsync/${legacy}`);
    expect(back.result?.targets[0]).toMatchObject({
      status: 'rolled-back',
      releaseId: legacy,
      previousReleaseId: 'r1',
    });
    expect(back.result?.targets[0]?.tree).toEqual({
      files: [{ path: 'pkg/__init__.py', size: 11, mode: 0o644 }],
      dirs: [{ path: 'pkg', mode: 0o755 }],
    });
  });

  it('is a base mismatch, left alone, when the plan expects a release', async () => {
    fs.mkdirSync(path.join(efs, 'lib'));
    fs.writeFileSync(path.join(efs, 'lib/x'), 'x');
    const before = snapshot(efs);
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { x: { data: 'y' } },
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.baseMismatch);
    expect(snapshot(efs)).toEqual(before);
  });

  it('a regular file at the target is an error', async () => {
    fs.writeFileSync(path.join(efs, 'lib'), 'not a dir');
    const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { x: { data: 'y' } } });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toMatch(/target ".*lib" is a file, not a directory/);
    expect(fs.readFileSync(path.join(efs, 'lib'), 'utf8')).toBe('not a dir');
  });
});

describe('releases kept', () => {
  it('prunes all but keepReleases, oldest first', async () => {
    for (const [i, id] of ['r1', 'r2', 'r3', 'r4'].entries()) {
      const planned = await plan(bucket, {
        target: 'lib',
        releaseId: id,
        baseReleaseId: i === 0 ? null : `r${i}`,
        files: { 'v.txt': { data: id } },
      });
      const run = await runAgent(job(bucket, [planned], { keepReleases: 2 }), efs);
      expect(run.code).toBe(AGENT_EXIT.ok);
      expect(run.result?.targets[0]?.releasesPruned).toEqual(i < 2 ? [] : [`r${i - 1}`]);
    }
    expect(fs.readdirSync(path.join(efs, '.lib.efsync')).sort()).toEqual([
      'history.json',
      'r3',
      'r3.json',
      'r4',
      'r4.json',
    ]);
    expect(served(efs)).toEqual(['r3', 'r4']);
    expect(fs.readFileSync(path.join(efs, 'lib/v.txt'), 'utf8')).toBe('r4');
  });
});

describe('the result names its run and job', () => {
  it("carries the job's runId and the sha256 of the job file it read, which the action checks", async () => {
    const manifest = job(bucket, [{ target: rollback('nothing-here'), parts: [] }]);
    const run = await runAgent(manifest, efs);
    expect(run.result).toMatchObject({ runId: manifest.runId, jobSha256: sha256(JSON.stringify(manifest)) });
  });
});

describe('rollback', () => {
  it('serves the previous release again and reports its tree; with none left it fails clearly', async () => {
    const first = await publish('lib', 'r1', V1);
    await publish('lib', 'r2', { 'app.py': { data: 'v2' } }, { baseReleaseId: 'r1' });
    const run = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(run.result?.targets[0]).toEqual({
      target: 'lib',
      status: 'rolled-back',
      releaseId: 'r1',
      previousReleaseId: 'r2',
      filesWritten: 0,
      bytesWritten: 0,
      filesLinked: 0,
      filesDeleted: 0,
      releasesPruned: [],
      tree: treeOf(first.planned.target),
    });
    expect(fs.existsSync(path.join(efs, '.lib.efsync/r2/app.py'))).toBe(true);

    const again = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(again.code).toBe(AGENT_EXIT.error);
    expect(again.result?.error).toMatch(/cannot roll back ".*lib": no release before r1 is left/);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
  });

  it('skips a release that was removed by hand', async () => {
    for (const n of [1, 2, 3, 4]) {
      const base = n === 1 ? {} : { baseReleaseId: `r${n - 1}` };
      await publish('lib', `r${n}`, { a: { data: String(n) } }, base, { keepReleases: 10 });
    }
    fs.rmSync(path.join(efs, '.lib.efsync/r3'), { recursive: true });
    const run = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(run.result?.targets[0]).toMatchObject({ releaseId: 'r2', previousReleaseId: 'r4' });
    expect(fs.readFileSync(path.join(efs, 'lib/a'), 'utf8')).toBe('2');
  });

  it('fails on a target that has never been published', async () => {
    const run = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toMatch(/cannot roll back ".*lib": it has no release/);
  });
});

describe('the file system lock', () => {
  it('waits for the lock, gives up after lockTimeoutSeconds with exit 4, and works once it is free', async () => {
    const holder = spawn(
      PYTHON,
      [
        '-c',
        'import fcntl,os,sys\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\nfcntl.lockf(fd,fcntl.LOCK_EX)\n' +
          'os.write(fd,b"run-other on host-b")\nprint("locked",flush=True)\nsys.stdin.read()',
        path.join(efs, '.efsync.lock'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { a: { data: 'a' } } });
    const run = await runAgent(job(bucket, [planned], { lockTimeoutSeconds: 1 }), efs);
    expect(run.code).toBe(AGENT_EXIT.lockTimeout);
    expect(run.result?.status).toBe('error');
    expect(run.result?.error).toBe('timed out after 1s waiting for the file system lock held by run-other on host-b');
    expect(run.stdout).toContain('run-1 waits for the file system lock held by run-other on host-b');
    expect(fs.existsSync(path.join(efs, 'lib'))).toBe(false);
    holder.stdin.end();
    await new Promise((resolve) => holder.on('close', resolve));
    const free = await runAgent(job(bucket, [planned], { lockTimeoutSeconds: 1 }), efs);
    expect(free.code).toBe(AGENT_EXIT.ok);
  });
});

describe('odd file names', () => {
  const names = [
    'with space.txt',
    'new\nline.txt',
    'quotes "double" and \'single\'.txt',
    '$(touch pwned) `id` ;&|.txt',
    'ünïcödé/日本語.txt',
    '-dash-first.txt',
    `${'é'.repeat(127)}x`, // 255 bytes in UTF-8
    '.hidden',
  ];

  it('round-trip through parts and urls, in the release and in its manifest', async () => {
    expect(Buffer.byteLength(names[6] ?? '')).toBe(255);
    const files: Record<string, Spec> = {};
    for (const [i, name] of names.entries()) files[name] = { data: `content ${i}` };
    for (const [i, name] of names.entries()) files[`via url/${name}`] = { data: `url ${i}`, from: 'url' };
    const { planned } = await publish('odd target', 'r1', files);
    const got = listing(path.join(efs, 'odd target'));
    for (const [i, name] of names.entries()) {
      expect(got[name]?.data).toBe(`content ${i}`);
      expect(got[`via url/${name}`]?.data).toBe(`url ${i}`);
    }
    expect(Object.keys(got).filter((p) => got[p]?.data !== '<dir>')).toHaveLength(names.length * 2);
    expect(readJson<Tree>(path.join(efs, '.odd target.efsync/r1.json'))).toEqual(treeOf(planned.target));
    expect(fs.existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(fs.existsSync(path.join(efs, 'pwned'))).toBe(false);

    // And hard links of them in the next release.
    const next: Record<string, Spec> = {};
    for (const name of Object.keys(files)) next[name] = { ...files[name], data: files[name]?.data ?? '', from: 'base' };
    await publish('odd target', 'r2', next, { baseReleaseId: 'r1' });
    for (const name of Object.keys(files)) {
      expect(inode(`.odd target.efsync/r2/${name}`)).toBe(inode(`.odd target.efsync/r1/${name}`));
    }
  });
});

describe('paths from the job', () => {
  type Planned = Awaited<ReturnType<typeof plan>>;
  const firstFile = (p: Planned) => {
    const file = p.target.files[0];
    if (!file) throw new Error('no file planned');
    return file;
  };
  const bad: [string, (p: Planned) => void, RegExp][] = [
    [
      'a file path with ..',
      (p) => {
        firstFile(p).path = '../escape.txt';
      },
      /refusing file path/,
    ],
    [
      'an absolute file path',
      (p) => {
        firstFile(p).path = '/etc/x';
      },
      /refusing file path/,
    ],
    [
      'an absolute target',
      (p) => {
        p.target.target = '/etc';
      },
      /refusing target path "\/etc"/,
    ],
    [
      'a target with ..',
      (p) => {
        p.target.target = 'a/../../b';
      },
      /refusing target path/,
    ],
    ['a directory with ..', (p) => p.target.dirs.push({ path: 'a/..', mode: 0o755 }), /refusing directory path/],
    [
      'a release id with a slash',
      (p) => {
        p.target.releaseId = '../r1';
      },
      /invalid releaseId/,
    ],
    [
      'a file url that is not http(s)',
      (p) => {
        firstFile(p).source = { from: 'url', url: 'file:///etc/passwd', verify: 'size' };
      },
      /has no http\(s\) URL/,
    ],
    [
      'a base file without a base release',
      (p) => {
        firstFile(p).source = { from: 'base' };
      },
      /from the base release, but there is none/,
    ],
    [
      'a file listed twice',
      (p) => {
        p.target.files.push(firstFile(p));
      },
      /listed twice/,
    ],
  ];
  for (const [what, spoil, message] of bad) {
    it(`refuses ${what} before writing anything`, async () => {
      const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'a.txt': { data: 'a' } } });
      spoil(planned);
      const run = await runAgent(job(bucket, [planned]), efs);
      expect(run.code).toBe(AGENT_EXIT.error);
      expect(run.result?.status).toBe('error');
      expect(run.result?.error).toMatch(message);
      expect(fs.readdirSync(efs)).toEqual([]);
    });
  }

  it('refuses a target inside another target (its parent resolves through a symlink)', async () => {
    await publish('lib', 'r1', { 'a.txt': { data: 'a' } });
    const before = snapshot(efs);
    const planned = await plan(bucket, { target: 'lib/inner', releaseId: 'i1', files: { 'b.txt': { data: 'b' } } });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toMatch(/its parent resolves through a symlink/);
    expect(snapshot(efs)).toEqual(before);
  });

  it('refuses to hard-link a base file through a symlink planted in the base release', async () => {
    fs.writeFileSync(path.join(efs, 'outside.txt'), 'outside');
    await publish('lib', 'r1', { 'd/a.txt': { data: 'a' } });
    fs.rmSync(path.join(efs, '.lib.efsync/r1/d'), { recursive: true });
    fs.symlinkSync('../..', path.join(efs, '.lib.efsync/r1/d'));
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'd/outside.txt': { data: 'outside', from: 'base' } },
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toMatch(/refusing file path "d\/outside.txt": it resolves outside the release/);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
  });
});

describe('output', () => {
  it('PUTs the full log and the result, and never prints a presigned URL', async () => {
    const { run } = await publish('lib', 'r1', {
      'a.txt': { data: 'a' },
      'o.txt': { data: 'o', from: 'url', serveOptions: { failTimes: 1 } },
    });
    const result = bucket.puts.get('runs/run-1/result.json');
    const log = bucket.puts.get('runs/run-1/agent.log');
    expect(result?.type).toBe('application/json');
    expect(JSON.parse(result?.body.toString('utf8') ?? '')).toEqual(run.result);
    expect(log?.type).toBe('text/plain');
    const text = log?.body.toString('utf8') ?? '';
    expect(text).toContain(`EFSYNC_RESULT ${JSON.stringify(run.result)}`);
    for (const line of run.stdout.trim().split('\n')) expect(text).toContain(line);
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ |EFSYNC_RESULT \{)/);
    }
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^EFSYNC_RESULT \{/);
    for (const output of [run.stdout, text]) {
      expect(output).not.toContain(bucket.secret);
      expect(output).not.toContain(`127.0.0.1:${bucket.port}`);
    }
  });

  const leaks: [string, string, RegExp][] = [
    // Nothing listens on port 9: only urllib's error text could leak the URL.
    ['a refused connection', 'http://127.0.0.1:9/a.txt', /cannot reach S3 \(.*refused, 5 attempts/],
    // http.client quotes a URL with a space, without its scheme, in its error.
    ['an invalid URL', `http://127.0.0.1:${9}/a b.txt`, /invalid URL \(URL can't contain control characters/],
  ];
  for (const [what, url, message] of leaks) {
    it(`keeps the URL out of the error of ${what}`, async () => {
      const planned = await plan(bucket, {
        target: 'lib',
        releaseId: 'r1',
        files: { 'a.txt': { data: 'a', from: 'url' } },
      });
      const file = planned.target.files[0];
      if (file)
        file.source = { from: 'url', url: `${url}?${bucket.secret}&X-Amz-Credential=AKIAEXAMPLE`, verify: 'size' };
      const run = await runAgent(job(bucket, [planned]), efs);
      expect(run.code).toBe(AGENT_EXIT.downloadFailed);
      expect(run.result?.error).toMatch(message);
      const log = bucket.puts.get('runs/run-1/agent.log')?.body.toString() ?? '';
      expect(log).toContain(run.result?.error);
      for (const output of [run.stdout, run.stderr, log]) {
        expect(output).not.toContain(bucket.secret);
        expect(output).not.toContain('AKIAEXAMPLE');
      }
    });
  }

  it('still ends with a result when the log and result cannot be uploaded', async () => {
    const planned = await plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'a.txt': { data: 'a' } } });
    const manifest = job(bucket, [planned], {
      logUrl: `http://127.0.0.1:${bucket.port}/log?no-signature`,
      resultUrl: `http://127.0.0.1:${bucket.port}/result?no-signature`,
    });
    const run = await runAgent(manifest, efs);
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain('could not upload the result: HTTP 403');
    expect(run.stdout).toContain('could not upload the log: HTTP 403');
  });

  it('writes an error result for a job it cannot read', async () => {
    const run = await runAgent({ version: 2 } as unknown as JobManifest, efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result).toMatchObject({
      version: 1,
      status: 'error',
      targets: [],
      error: 'the job manifest is not version 1',
    });
    expect(fs.readdirSync(efs)).toEqual([]);
  });
});

describe('SIGTERM', () => {
  it('stops, removes the release being built, releases the lock, and leaves the served release serving', async () => {
    await publish('lib', 'r1', V1);
    const before = snapshot(efs);
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: {
        'app.py': { data: 'print("hello")\n', from: 'base' },
        'slow.bin': { data: Buffer.alloc(10_000_000, 3), from: 'url', serveOptions: { drip: 512 } },
      },
    });
    const asked = bucket.requested('objects/r2/slow.bin');
    const run = await runAgent(job(bucket, [planned]), efs, (child) => {
      void asked.then(() => child.kill('SIGTERM'));
    });
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result).toMatchObject({ status: 'error', error: 'interrupted by SIGTERM' });
    expect(run.stdout).toContain('released the file system lock');
    expect(snapshot(efs)).toEqual(before);
    const locker = await runAgent(
      job(bucket, [await plan(bucket, { target: 'x', releaseId: 'x1', files: {} })], { lockTimeoutSeconds: 0 }),
      efs,
    );
    expect(locker.code).toBe(AGENT_EXIT.ok);
  });
});
