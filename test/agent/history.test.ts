// A target's history records every switch: rollback serves the release that served before the current one and
// never one that was rolled back from, and pruning spares a release that stopped serving less than
// keepReleasesMinutes ago, which a Lambda may still read through the path it pinned.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_EXIT, type JobManifest } from '../../src/remote/protocol.ts';
import { Bucket, job, listing, plan, readJson, rollback, runAgent, served, switches, tmpDir } from './harness.ts';

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

const serving = () => fs.readlinkSync(path.join(efs, 'lib'));
const releases = () => fs.readdirSync(path.join(efs, '.lib.efsync')).filter((n) => !n.includes('.'));

/** Publishes release `id` of lib (one file holding the id) on whatever lib serves now. */
async function publish(id: string, over: Partial<JobManifest> = {}) {
  const current = fs.existsSync(path.join(efs, 'lib')) ? path.basename(serving()) : null;
  const planned = await plan(bucket, {
    target: 'lib',
    releaseId: id,
    baseReleaseId: current,
    files: { 'v.txt': { data: id } },
  });
  const run = await runAgent(job(bucket, [planned], { keepReleases: 10, ...over }), efs);
  expect(run.result?.error).toBeUndefined();
  expect(run.code).toBe(AGENT_EXIT.ok);
  return run;
}

async function rollBack() {
  const run = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
  expect(run.result?.error).toBeUndefined();
  expect(run.code).toBe(AGENT_EXIT.ok);
  return run;
}

function writeHistory(data: unknown) {
  fs.writeFileSync(path.join(efs, '.lib.efsync/history.json'), JSON.stringify(data));
}

describe('rollback', () => {
  it('v1, v2, v3-bad, rollback → v2; v4, rollback → v2 again, never v3-bad; rollback again → v1', async () => {
    await publish('v1');
    await publish('v2');
    await publish('v3-bad');
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'v2', previousReleaseId: 'v3-bad' });
    await publish('v4');
    // The release that served before v4 is v2: v3-bad was rolled back from, so no rollback serves it again.
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'v2', previousReleaseId: 'v4' });
    expect(serving()).toBe('.lib.efsync/v2');
    expect(fs.readFileSync(path.join(efs, 'lib/v.txt'), 'utf8')).toBe('v2');
    // From v2, the one before that is v3-bad, then v2 itself, then v1: both rolled-back releases are passed over.
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'v1', previousReleaseId: 'v2' });

    const history = switches(efs);
    expect(history.map((s) => [s.release, s.rolledBackFrom])).toEqual([
      ['v1', false],
      ['v2', false],
      ['v3-bad', true],
      ['v2', false],
      ['v4', true],
      ['v2', true],
      ['v1', false],
    ]);
    // Each switch says when it started serving and when it stopped; only the last one serves still.
    const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    for (const s of history) expect(s.since).toMatch(stamp);
    for (const s of history.slice(0, -1)) expect(s.until).toMatch(stamp);
    expect(history.at(-1)?.until).toBeNull();
  });

  it('v1, v2, rollback → v1; v3, rollback → v1, not v2; then no release is left to roll back to', async () => {
    await publish('v1');
    await publish('v2');
    await rollBack(); // v2 → v1
    await publish('v3');
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'v1', previousReleaseId: 'v3' });
    const run = await runAgent(job(bucket, [{ target: rollback('lib'), parts: [] }]), efs);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.error).toMatch(/cannot roll back ".*lib": no release before v1 is left/);
    expect(serving()).toBe('.lib.efsync/v1');
  });
});

describe('pruning with keepReleasesMinutes', () => {
  it('keep-releases 1 with keep-releases-minutes 60 keeps the release just replaced, which a pinned Lambda still reads', async () => {
    await publish('r1', { keepReleases: 1, keepReleasesMinutes: 60 });
    const pinned = fs.realpathSync(path.join(efs, 'lib')); // os.path.realpath('/mnt/efs/lib'), as the README says
    const run = await publish('r2', { keepReleases: 1, keepReleasesMinutes: 60 });
    expect(run.result?.targets[0]?.releasesPruned).toEqual([]);
    expect(run.stdout).toContain('kept releases r1 beyond keep-releases 1');
    expect(fs.readFileSync(path.join(pinned, 'v.txt'), 'utf8')).toBe('r1');
    expect(releases().sort()).toEqual(['r1', 'r2']);
  });

  it('prunes a release beyond keep-releases once it stopped serving keep-releases-minutes ago, not the one just replaced', async () => {
    await publish('r1', { keepReleases: 1, keepReleasesMinutes: 60 });
    await publish('r2', { keepReleases: 1, keepReleasesMinutes: 60 });
    // r1 stopped serving two hours ago.
    const history = switches(efs);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    writeHistory({ version: 2, switches: history.map((s) => (s.release === 'r1' ? { ...s, until: twoHoursAgo } : s)) });

    const run = await publish('r3', { keepReleases: 1, keepReleasesMinutes: 60 });
    expect(run.result?.targets[0]?.releasesPruned).toEqual(['r1']);
    expect(releases().sort()).toEqual(['r2', 'r3']);
    expect(fs.existsSync(path.join(efs, '.lib.efsync/r1.json'))).toBe(false);
    expect(served(efs)).toEqual(['r2', 'r3']);
  });

  it('keep-releases-minutes 0 prunes beyond keep-releases at once', async () => {
    await publish('r1', { keepReleases: 1, keepReleasesMinutes: 0 });
    const run = await publish('r2', { keepReleases: 1, keepReleasesMinutes: 0 });
    expect(run.result?.targets[0]?.releasesPruned).toEqual(['r1']);
    expect(releases()).toEqual(['r2']);
    expect(served(efs)).toEqual(['r2']);
  });
});

describe('a history.json of the first format (a plain list of release ids)', () => {
  it('is read: rollback serves the release before, and the history is written in the new format', async () => {
    for (const id of ['r1', 'r2', 'r3']) await publish(id);
    writeHistory(['r1', 'r2', 'r3']);
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'r2', previousReleaseId: 'r3' });
    expect(served(efs)).toEqual(['r1', 'r2', 'r3', 'r2']);
    expect(switches(efs).map((s) => s.rolledBackFrom)).toEqual([false, false, true, false]);
  });

  it('says which releases were rolled back from: the ids after the one served', async () => {
    for (const id of ['r1', 'r2', 'r3']) await publish(id);
    // What a rollback left with the first format: the list as it was, the target on r2.
    writeHistory(['r1', 'r2', 'r3']);
    fs.rmSync(path.join(efs, 'lib'));
    fs.symlinkSync('.lib.efsync/r2', path.join(efs, 'lib'));
    // From r2, the release before is r3, which was rolled back from: r1 it is.
    expect((await rollBack()).result?.targets[0]).toMatchObject({ releaseId: 'r1', previousReleaseId: 'r2' });
    expect(switches(efs).map((s) => [s.release, s.rolledBackFrom])).toEqual([
      ['r1', false],
      ['r2', false],
      ['r3', true],
      ['r2', true],
      ['r1', false],
    ]);
  });

  it('counts its releases as stopped when first read: keep-releases-minutes spares them from then on', async () => {
    for (const id of ['r1', 'r2', 'r3']) await publish(id);
    writeHistory(['r1', 'r2', 'r3']);
    const kept = await publish('r4', { keepReleases: 2, keepReleasesMinutes: 60 });
    expect(kept.result?.targets[0]?.releasesPruned).toEqual([]);
    const pruned = await publish('r5', { keepReleases: 2, keepReleasesMinutes: 0 });
    expect(pruned.result?.targets[0]?.releasesPruned).toEqual(['r1', 'r2', 'r3']);
    expect(readJson<{ version: number }>(path.join(efs, '.lib.efsync/history.json')).version).toBe(2);
  });
});

describe('published modes', () => {
  it('are applied as mode & 0o775 to files and folders: setuid, setgid, sticky and world-write dropped', async () => {
    const planned = await plan(bucket, {
      target: 'lib',
      releaseId: 'r1',
      files: {
        'bin/suid': { data: '#!/bin/sh\n', mode: 0o4755 },
        'bin/sgid': { data: '#!/bin/sh\n', mode: 0o2775 },
        'open.txt': { data: 'anyone\n', mode: 0o666 },
        'all.txt': { data: 'all\n', mode: 0o7777 },
      },
      dirs: { bin: 0o1777 },
    });
    const run = await runAgent(job(bucket, [planned]), efs);
    expect(run.code).toBe(AGENT_EXIT.ok);
    const modes = Object.fromEntries(Object.entries(listing(path.join(efs, 'lib'))).map(([p, n]) => [p, n.mode]));
    expect(modes).toEqual({ bin: 0o775, 'bin/sgid': 0o775, 'bin/suid': 0o755, 'open.txt': 0o664, 'all.txt': 0o775 });
  });
});
