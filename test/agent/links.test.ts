// Another writer of the file system (a Lambda through an access point) plants symbolic links, or swaps a folder,
// while the agent works as root: each attempt fails the run with one error naming the path, the target keeps serving
// its release, and nothing outside the file system is touched.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_EXIT } from '../../src/remote/protocol.ts';
import { Bucket, job, plan, runAgent, type Spec, snapshot, tmpDir } from './harness.ts';

let bucket: Bucket;
let efs: string;
/** The instance's own disk, outside the file system: what a planted link points at. */
let local: string;

beforeAll(async () => {
  bucket = await Bucket.start();
});
afterAll(() => bucket.close());
beforeEach(() => {
  efs = tmpDir('efsync-efs-');
  local = tmpDir('efsync-local-');
});
afterEach(() => {
  fs.rmSync(efs, { recursive: true, force: true });
  fs.rmSync(local, { recursive: true, force: true });
});

async function publish(
  target: string,
  releaseId: string,
  files: Record<string, Spec>,
  baseReleaseId: string | null = null,
) {
  const run = await runAgent(job(bucket, [await plan(bucket, { target, releaseId, files, baseReleaseId })]), efs);
  expect(run.result?.error).toBeUndefined();
  expect(run.code).toBe(AGENT_EXIT.ok);
}

/** A file on the instance's disk, with an mtime in the past so that any write shows. */
function localFile(name: string, data: string): string {
  const file = path.join(local, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  const past = new Date('2020-01-01T00:00:00Z');
  fs.utimesSync(file, past, past);
  return file;
}

/** Everything under the instance folder, with each entry's mtime: equal before and after means untouched. */
function localState(): Record<string, { data?: string; mtime: number }> {
  const out: Record<string, { data?: string; mtime: number }> = {};
  const top = fs.lstatSync(local);
  out['.'] = { mtime: top.mtimeMs };
  for (const [p, node] of snapshot(local)) {
    out[p] = { ...(node.type === 'file' && { data: node.data }), mtime: fs.lstatSync(path.join(local, p)).mtimeMs };
  }
  return out;
}

/** The run failed, and said so once: its one error names the planted path. */
function failedNaming(run: Awaited<ReturnType<typeof runAgent>>, planted: string, why: RegExp) {
  expect(run.code).toBe(AGENT_EXIT.error);
  expect(run.result?.status).toBe('error');
  expect(run.result?.error).toContain(JSON.stringify(planted));
  expect(run.result?.error).toMatch(why);
  expect(run.stdout.split('\n').filter((l) => / error: /.test(l))).toHaveLength(1);
}

/** A url file the bucket sends slowly, so that the test acts while the agent is building its release. */
function slow(data: string): Spec {
  return { data, from: 'url', serveOptions: { drip: 64 } };
}

const PLANTED_LINK = /is a symbolic link that efsync did not make/;

describe('planted links and swapped folders', () => {
  it('planted .efsync.lock link → the run fails naming it; the linked file keeps its content and mtime', async () => {
    await publish('lib', 'r1', { 'a.txt': { data: 'one' } });
    const target = localFile('etc/instance.conf', 'instance settings\n');
    const before = localState();
    fs.rmSync(path.join(efs, '.efsync.lock'));
    fs.symlinkSync(target, path.join(efs, '.efsync.lock'));

    const run = await runAgent(
      job(bucket, [
        await plan(bucket, {
          target: 'lib',
          releaseId: 'r2',
          baseReleaseId: 'r1',
          files: { 'a.txt': { data: 'two' } },
        }),
      ]),
      efs,
    );

    failedNaming(run, path.join(efs, '.efsync.lock'), PLANTED_LINK);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(localState()).toEqual(before);
  });

  it('planted dangling .efsync.lock link → the run fails naming it; no file is created where it points', async () => {
    const target = path.join(local, 'created-by-root');
    fs.symlinkSync(target, path.join(efs, '.efsync.lock'));

    const run = await runAgent(
      job(bucket, [await plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'a.txt': { data: 'one' } } })]),
      efs,
    );

    failedNaming(run, path.join(efs, '.efsync.lock'), PLANTED_LINK);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(path.join(efs, 'lib'))).toBe(false);
  });

  it('.efsync.lock made a hard link to a served file → the run fails naming it; the file keeps its content', async () => {
    await publish('lib', 'r1', { 'a.txt': { data: 'one' } });
    fs.rmSync(path.join(efs, '.efsync.lock'));
    fs.linkSync(path.join(efs, '.lib.efsync/r1/a.txt'), path.join(efs, '.efsync.lock'));

    const run = await runAgent(
      job(bucket, [
        await plan(bucket, {
          target: 'lib',
          releaseId: 'r2',
          baseReleaseId: 'r1',
          files: { 'a.txt': { data: 'two' } },
        }),
      ]),
      efs,
    );

    failedNaming(run, path.join(efs, '.efsync.lock'), /is not the regular file efsync made there/);
    expect(fs.readFileSync(path.join(efs, 'lib/a.txt'), 'utf8')).toBe('one');
  });

  it('.models.efsync/.tmp-history.json made a link mid-publish → the run fails naming it; the linked file is untouched, models serves r1', async () => {
    await publish('models', 'r1', { 'm.bin': { data: 'one' } });
    const target = localFile('etc/passwd-like', 'root:x:0:0\n');
    const before = localState();
    const planned = await plan(bucket, {
      target: 'models',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'm.bin': slow('two'.repeat(300)) },
    });
    const planted = path.join(efs, '.models.efsync/.tmp-history.json');
    // Planted while the release is being built: the run's clean-up of leftovers is over by then.
    const downloading = bucket.requested('objects/r2/m.bin').then(() => fs.symlinkSync(target, planted));

    const run = await runAgent(job(bucket, [planned]), efs);
    await downloading;

    failedNaming(run, planted, PLANTED_LINK);
    expect(fs.readlinkSync(path.join(efs, 'models'))).toBe('.models.efsync/r1');
    expect(fs.readFileSync(path.join(efs, 'models/m.bin'), 'utf8')).toBe('one');
    expect(fs.readdirSync(path.join(efs, '.models.efsync')).sort()).toEqual([
      '.tmp-history.json',
      'history.json',
      'r1',
      'r1.json',
    ]);
    expect(localState()).toEqual(before);
  });

  it('.x2.efsync made a link to a local folder → the run fails naming it; nothing is written or removed there, x2 serves r1', async () => {
    await publish('x2', 'r1', { 'a.txt': { data: 'one' } });
    localFile('srv/.tmp-keep/file', 'a local temporary file\n');
    localFile('srv/data.txt', 'local data\n');
    const before = localState();
    fs.renameSync(path.join(efs, '.x2.efsync'), path.join(efs, 'moved-away'));
    fs.symlinkSync(path.join(local, 'srv'), path.join(efs, '.x2.efsync'));

    const run = await runAgent(
      job(bucket, [
        await plan(bucket, { target: 'x2', releaseId: 'r2', baseReleaseId: 'r1', files: { 'a.txt': { data: 'two' } } }),
      ]),
      efs,
    );

    failedNaming(run, path.join(efs, '.x2.efsync'), PLANTED_LINK);
    expect(fs.readlinkSync(path.join(efs, 'x2'))).toBe('.x2.efsync/r1');
    expect(localState()).toEqual(before);
  });

  it('release folder swapped for a link mid-build → the run fails naming it; the local folder is untouched, lib serves r1', async () => {
    await publish('lib', 'r1', { 'a.txt': { data: 'one' } });
    localFile('srv/data.txt', 'local data\n');
    const before = localState();
    const releases = path.join(efs, '.lib.efsync');
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'a.txt': { data: 'two' }, 'z/big.bin': slow('z'.repeat(2000)) },
    });
    let building = '';
    const swapped = bucket.requested('objects/r2/z/big.bin').then(() => {
      building = fs.readdirSync(releases).find((n) => n.startsWith('.tmp-r2') && !n.endsWith('.json')) ?? '';
      expect(building).not.toBe('');
      fs.renameSync(path.join(releases, building), path.join(efs, 'stolen'));
      fs.symlinkSync(path.join(local, 'srv'), path.join(releases, building));
    });

    const run = await runAgent(job(bucket, [planned]), efs);
    await swapped;

    failedNaming(run, path.join(releases, building), /was moved, removed or replaced/);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(fs.readFileSync(path.join(efs, 'lib/a.txt'), 'utf8')).toBe('one');
    expect(localState()).toEqual(before);
  });

  it('a folder of the release swapped for a link mid-build → the run fails naming it; the local folder is untouched, lib serves r1', async () => {
    await publish('lib', 'r1', { 'a.txt': { data: 'one' } });
    localFile('srv/data.txt', 'local data\n');
    const before = localState();
    const releases = path.join(efs, '.lib.efsync');
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'z/big.bin': slow('z'.repeat(2000)), 'z/small.txt': { data: 'small' } },
    });
    let folder = '';
    const swapped = bucket.requested('objects/r2/z/big.bin').then(() => {
      const building = fs.readdirSync(releases).find((n) => n.startsWith('.tmp-r2') && !n.endsWith('.json')) ?? '';
      folder = path.join(releases, building, 'z');
      fs.renameSync(folder, path.join(efs, 'stolen'));
      fs.symlinkSync(path.join(local, 'srv'), folder);
    });

    const run = await runAgent(job(bucket, [planned]), efs);
    await swapped;

    failedNaming(run, folder, /was moved, removed or replaced/);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(localState()).toEqual(before);
  });

  it('base release folder made a link → the run fails naming it; nothing is linked from the local folder', async () => {
    await publish('lib', 'r1', { 'd/a.txt': { data: 'one' } });
    localFile('srv/a.txt', 'one');
    const before = localState();
    fs.renameSync(path.join(efs, '.lib.efsync/r1/d'), path.join(efs, 'moved-d'));
    fs.symlinkSync(path.join(local, 'srv'), path.join(efs, '.lib.efsync/r1/d'));
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r2',
      baseReleaseId: 'r1',
      files: { 'd/a.txt': { data: 'one', from: 'base' } },
    });

    const run = await runAgent(job(bucket, [planned]), efs);

    failedNaming(run, path.join(efs, '.lib.efsync/r1/d'), PLANTED_LINK);
    expect(fs.readlinkSync(path.join(efs, 'lib'))).toBe('.lib.efsync/r1');
    expect(fs.readdirSync(path.join(efs, '.lib.efsync')).sort()).toEqual(['history.json', 'r1', 'r1.json']);
    expect(localState()).toEqual(before);
  });
});
