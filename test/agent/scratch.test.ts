// The agent's scratch space: each staged part is deleted as soon as the files taken from it are written, and new
// downloads wait while `concurrency` parts are on disk, so an instance's disk needs room for about `concurrency`
// parts, never for the sum of a target's parts. Proved twice: by watching the parts directory while the agent runs,
// and by running the agent on an instance sandbox whose root volume (where /var/tmp is) is a tmpfs too small for the sum.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_EXIT, type JobManifest, type StagedPart, type TargetJob } from '../../src/remote/protocol.ts';
import { Sandboxes } from '../../testbed/sandbox.ts';
import { AGENT, Bucket, job, parseResult, plan, runAgent, type ServeOptions, tmpDir } from './harness.ts';

const MiB = 1024 * 1024;

let bucket: Bucket;
let state: string;
let sandboxes: Sandboxes;
let instances = 0;

beforeAll(async () => {
  bucket = await Bucket.start();
  state = tmpDir('efsync-scratch-');
  sandboxes = new Sandboxes(state);
});
afterAll(async () => {
  await bucket.close();
  sandboxes.release();
  fs.rmSync(state, { recursive: true, force: true });
});

/** One target whose files come from `count` parts of about `bytes` each (one file per part), as staging packs them. */
async function manyParts(
  target: string,
  count: number,
  bytes: number,
  serve: (i: number) => ServeOptions = () => ({}),
): Promise<{ target: TargetJob; parts: StagedPart[] }> {
  const planned = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      plan(bucket, {
        target,
        releaseId: `${target}-p${String(i).padStart(2, '0')}`,
        files: { [`f${i}.bin`]: { data: crypto.randomBytes(bytes) } },
      }),
    ),
  );
  for (const [i, p] of planned.entries()) {
    const part = p.parts[0] as StagedPart;
    const key = `parts/${part.name}`;
    part.url = bucket.serve(key, bucket.objects.get(key)?.body ?? '', serve(i));
  }
  const first = planned[0]?.target as TargetJob;
  return {
    target: { ...first, releaseId: 'r1', files: planned.flatMap((p) => p.target.files) },
    parts: planned.flatMap((p) => p.parts),
  };
}

/** Runs the agent as the bootstrap would, in a new instance sandbox whose scratch space holds `scratch` bytes. */
async function onInstance(manifest: JobManifest, scratch: number, prepare?: (id: string) => void) {
  const id = `i-${String(++instances).padStart(17, '0')}`;
  const work = path.join(sandboxes.dir(id), 'work');
  const efs = path.join(sandboxes.dir(id), 'efs');
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(efs, { recursive: true });
  fs.copyFileSync(AGENT, path.join(work, 'efsync_agent.pyz'));
  fs.writeFileSync(path.join(work, 'job.json'), JSON.stringify(manifest));
  sandboxes.setDisk(id, { scratchBytes: scratch });
  prepare?.(id);
  const script = ['#!/bin/bash', `python3 efsync_agent.pyz job.json --mounted '${sandboxes.seen(efs)}'`].join('\n');
  const run = sandboxes.run(id, 'script.sh', script, 'work');
  let stdout = '';
  let stderr = '';
  run.child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  run.child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const { code } = await run.done;
  return { id, code, stdout, stderr, efs, result: parseResult(stdout) };
}

/** The agent's own count of the parts it held at once, from its last log lines. */
function peak(stdout: string): { parts: number; text: string } | undefined {
  const m = /staged parts on the instance's disk at once: at most (\d+) \(([^)]+)\)/.exec(stdout);
  return m ? { parts: Number(m[1]), text: m[2] ?? '' } : undefined;
}

describe('staged parts on the instance disk', () => {
  it('deletes a part as soon as its files are written, while later parts still download', async () => {
    // Part 0 comes at once; part 1 trickles in for seconds. Part 0 must be gone long before part 1 is complete.
    const planned = await manyParts('gone', 2, 256 * 1024, (i) => (i === 1 ? { drip: 2048 } : {}));
    const efs = tmpDir('efsync-efs-');
    // The release being built: .tmp-r1-<random>, beside the releases.
    const building = (file: string) => {
      const releases = path.join(efs, '.gone.efsync');
      const dir = fs.existsSync(releases) && fs.readdirSync(releases).find((n) => /^\.tmp-r1-[0-9a-f]+$/.test(n));
      return !!dir && fs.existsSync(path.join(releases, dir, file));
    };
    let tmpdir = '';
    const running = runAgent(job(bucket, [planned], { concurrency: 2 }), efs, (_child, dir) => {
      tmpdir = dir;
    });
    const partsOnDisk = () => {
      const found = tmpdir && fs.readdirSync(tmpdir).find((n) => n.startsWith('efsync-parts-'));
      return found ? fs.readdirSync(path.join(tmpdir, found)).filter((n) => n !== '.in-use') : [];
    };
    let onDisk: string[] = [];
    for (let i = 0; i < 250; i++) {
      onDisk = partsOnDisk();
      if (building('f0.bin') && onDisk.length === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(building('f0.bin')).toBe(true);
    expect(building('f1.bin')).toBe(false); // part 1 is still coming in
    expect(onDisk).toHaveLength(1); // and is the only part left on disk: part 0 went once f0.bin was written
    const run = await running;
    expect(run.result?.status).toBe('ok');
    expect(peak(run.stdout)?.parts).toBe(2);
    fs.rmSync(efs, { recursive: true, force: true });
  });

  it('holds at most `concurrency` parts at once, however many the target has', async () => {
    const planned = await manyParts('bounded', 12, 64 * 1024);
    const efs = tmpDir('efsync-efs-');
    const run = await runAgent(job(bucket, [planned], { concurrency: 3 }), efs);
    expect(run.result?.status).toBe('ok');
    expect(peak(run.stdout)?.parts).toBeLessThanOrEqual(3);
    expect(fs.readdirSync(path.join(efs, 'bounded')).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `f${i}.bin`).sort(),
    );
    fs.rmSync(efs, { recursive: true, force: true });
  });

  it('keeps a part a later target needs until that target has used it', async () => {
    const a = await plan(bucket, {
      target: 'a',
      releaseId: 'r1',
      files: { 'x.txt': { data: 'x' }, 'y.txt': { data: 'y' } },
    });
    const b = await plan(bucket, { target: 'b', releaseId: 'r1', files: {} });
    b.target.files = a.target.files.filter((f) => f.path === 'y.txt');
    a.target.files = a.target.files.filter((f) => f.path === 'x.txt');
    const efs = tmpDir('efsync-efs-');
    const gets = bucket.gets.length;
    const run = await runAgent(job(bucket, [a, b], { concurrency: 1 }), efs);
    expect(run.result?.status).toBe('ok');
    expect(bucket.gets.slice(gets)).toEqual(['parts/r1-a-0001.tar']);
    expect(fs.readFileSync(path.join(efs, 'b', 'y.txt'), 'utf8')).toBe('y');
    fs.rmSync(efs, { recursive: true, force: true });
  });
});

describe('an instance disk smaller than the sum of the parts', () => {
  // Twelve parts of 1 MiB; the disk (a tmpfs) holds three and a half. Kept until the target is done, they would
  // need twelve.
  const COUNT = 12;

  it('takes a publish of three times its size, with three downloads at a time', async () => {
    const planned = await manyParts('big', COUNT, MiB);
    const sum = planned.parts.reduce((n, p) => n + p.size, 0);
    const scratch = 3.5 * MiB;
    expect(sum).toBeGreaterThan(3 * scratch);
    const run = await onInstance(job(bucket, [planned], { concurrency: 3 }), scratch);
    expect(run.stderr).toBe('');
    expect(run.result?.status, run.stdout.slice(-2000)).toBe('ok');
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(peak(run.stdout)?.parts).toBeLessThanOrEqual(3);
    // Each file was checked against its sha256 as it was written.
    for (let i = 0; i < COUNT; i++) expect(fs.statSync(path.join(run.efs, 'big', `f${i}.bin`)).size).toBe(MiB);
  });

  it('fails with a clear error, the served release untouched, when not even one part fits', async () => {
    const planned = await manyParts('tiny', 2, MiB);
    const run = await onInstance(job(bucket, [planned], { concurrency: 2 }), 256 * 1024);
    expect(run.code).toBe(AGENT_EXIT.error);
    expect(run.result?.status).toBe('error');
    expect(run.result?.error).toMatch(
      /^no space left on the instance's disk for part "tiny-p0[01]-tiny-0001\.tar" \(1\.0 MiB\) in ".*efsync-parts-[^"]+": [\d.]+ (B|KiB) of 256\.0 KiB free\. /,
    );
    expect(fs.existsSync(path.join(run.efs, 'tiny'))).toBe(false);
    expect(fs.readdirSync(path.join(run.efs, '.tiny.efsync'))).toEqual([]);
  });
});

describe('parts left on the instance by an earlier run', () => {
  // SSM kills a command at its timeout or on cancel with SIGKILL: its agent removes nothing. On a warm or borrowed
  // instance the next run finds the folder in /var/tmp, on a root volume sized for one run's parts.
  it('are removed when no live agent holds them; a folder a live agent holds is kept', async () => {
    const planned = await manyParts('after', 1, 64 * 1024);
    let holder: ReturnType<typeof spawn> | undefined;
    const varTmp = (id: string) => path.join(sandboxes.dir(id), 'var', 'tmp');
    const run = await onInstance(job(bucket, [planned], { concurrency: 1 }), 4 * MiB, (id) => {
      const left = path.join(varTmp(id), 'efsync-parts-killed');
      fs.mkdirSync(left, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(left, '.in-use'), '');
      fs.writeFileSync(path.join(left, 'part-0123456789ab'), Buffer.alloc(MiB));
      const live = path.join(varTmp(id), 'efsync-parts-live');
      fs.mkdirSync(live, { mode: 0o700 });
      fs.writeFileSync(path.join(live, '.in-use'), '');
      holder = spawn('flock', [path.join(live, '.in-use'), 'sleep', '60'], { stdio: 'ignore' });
    });
    try {
      expect(run.result?.status, run.stdout.slice(-2000)).toBe('ok');
      expect(run.stdout).toMatch(/removed "\/var\/tmp\/efsync-parts-killed", left by an earlier run that was killed/);
      // Its own folder is gone too; the one a live agent holds is not touched.
      expect(fs.readdirSync(varTmp(run.id))).toEqual(['efsync-parts-live']);
    } finally {
      holder?.kill();
    }
  });
});

describe('the sandbox scratch bound itself', () => {
  it('is the root volume, where /var/tmp is, and refuses more', async () => {
    const id = `i-${String(++instances).padStart(17, '0')}`;
    sandboxes.setDisk(id, { scratchBytes: MiB });
    const script = [
      '#!/bin/bash',
      'df -B1 --output=size /var/tmp | tail -1',
      'head -c 2097152 /dev/zero 2>&1 >/var/tmp/fill || echo FULL',
    ].join('\n');
    const run = sandboxes.run(id, 'script.sh', script, undefined);
    let stdout = '';
    run.child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    await run.done;
    expect(Number(stdout.split('\n')[0]?.trim())).toBe(MiB);
    expect(stdout).toContain('No space left on device');
    expect(stdout).toContain('FULL');
  });
});
