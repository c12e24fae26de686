// stageParts against the local test bed: parts per target and within the size bound, the members map, the tar
// bytes as node-tar and Python's tarfile read them, multipart for big parts, and files changed after planning.
import fs from 'node:fs';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../src/core/tree.ts';
import { type StageResult, stageParts } from '../../../src/remote/stage/parts.ts';
import {
  getBytes,
  readTar,
  readTarWithPython,
  sha256,
  type TarMember,
  tempDir,
  useStagingBed,
  writeFiles,
} from './support.ts';

const bed = useStagingBed();
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const dir = (label: string) => {
  const made = tempDir(label);
  dirs.push(made);
  return made;
};

async function download(result: StageResult): Promise<Map<string, Buffer>> {
  const bodies = new Map<string, Buffer>();
  for (const part of result.parts) bodies.set(part.name, await getBytes(bed.s3, bed.bucket, part.key));
  return bodies;
}

/** The portable header every member must carry, whoever owns the file on the runner. */
function expectPortable(member: TarMember) {
  expect(member.type).toBe('File');
  expect(member.uid ?? 0).toBe(0);
  expect(member.gid ?? 0).toBe(0);
  expect(member.uname ?? '').toBe('');
  expect(member.gname ?? '').toBe('');
  expect(member.mtime).toBe(0);
}

describe('stageParts', () => {
  it('packs two targets into separate parts within the size bound, with a members map that matches the tars', async () => {
    const libRoot = dir('lib');
    const modelRoot = dir('model');
    const lib = writeFiles(libRoot, Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`pkg/m${i}.py`, 3000])));
    const model = writeFiles(modelRoot, { 'big.bin': 20_000, 'empty.txt': 0, 'conf/a.json': 100 }, 0o755);
    // Small enough to fit in the models' last part: it must still get a part of its own.
    const docsRoot = dir('docs');
    const docs = writeFiles(docsRoot, { 'readme.md': 10 });
    const progress: [number, number][] = [];
    const result = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/two-targets/',
      inputs: [
        { target: 'lib', root: libRoot, files: lib },
        { target: 'models/m1', root: modelRoot, files: model },
        { target: 'docs', root: docsRoot, files: docs },
      ],
      partSize: 8192,
      onProgress: (done, total) => progress.push([done, total]),
    });

    expect(result.filesPacked).toBe(11);
    expect(result.parts.map((p) => p.name)).toEqual(
      result.parts.map((_, i) => `part-${String(i + 1).padStart(4, '0')}.tar`),
    );
    expect(result.parts.every((p) => p.key === `efsync/runs/two-targets/${p.name}`)).toBe(true);
    expect(result.bytesUploaded).toBe(result.parts.reduce((sum, p) => sum + p.size, 0));

    // Members map: every file exactly once, named by its path, and each part belongs to one target.
    const expected = new Map([
      ['lib', lib],
      ['models/m1', model],
      ['docs', docs],
    ]);
    expect([...result.members.keys()].sort()).toEqual(['docs', 'lib', 'models/m1']);
    const targetOfPart = new Map<string, string>();
    for (const [target, files] of expected) {
      const byPath = result.members.get(target);
      expect([...(byPath?.keys() ?? [])].sort()).toEqual(files.map((f) => f.path).sort());
      for (const [filePath, where] of byPath ?? []) {
        expect(where.member).toBe(filePath);
        expect(targetOfPart.get(where.part) ?? target).toBe(target);
        targetOfPart.set(where.part, target);
      }
    }
    expect([...targetOfPart.keys()].sort()).toEqual(result.parts.map((p) => p.name));

    const bodies = await download(result);
    let bigPart: string | undefined;
    for (const part of result.parts) {
      const body = bodies.get(part.name) ?? Buffer.alloc(0);
      expect(body.length).toBe(part.size);
      expect(sha256(body)).toBe(part.sha256);
      const target = targetOfPart.get(part.name) ?? '';
      const inPart = (expected.get(target) ?? []).filter(
        (f) => result.members.get(target)?.get(f.path)?.part === part.name,
      );
      const members = await readTar(body);
      // Order and content are the plan's; the part is the size bound unless one file alone exceeds it.
      expect(members.map((m) => m.path)).toEqual(inPart.map((f) => f.path));
      for (const [i, member] of members.entries()) {
        expect(member.sha256).toBe(inPart[i]?.sha256);
        expect(member.mode).toBe(inPart[i]?.mode);
        expectPortable(member);
      }
      if (members.length > 1) expect(part.size).toBeLessThanOrEqual(8192);
      if (members.some((m) => m.path === 'big.bin')) bigPart = part.name;
    }
    // The 20 kB file got a part of its own.
    expect(bodies.get(bigPart ?? '')?.length).toBeGreaterThan(8192);
    expect((await readTar(bodies.get(bigPart ?? '') ?? Buffer.alloc(0))).map((m) => m.path)).toEqual(['big.bin']);
    // lib: two 3 kB files per 8 kB part; models: the big file, then the rest; docs: its own part.
    expect(new Set([...(result.members.get('lib')?.values() ?? [])].map((w) => w.part)).size).toBe(4);
    expect(result.parts).toHaveLength(7);

    // Progress ends at the total, never goes back, and counts tar bytes.
    expect(progress.at(-1)).toEqual([result.bytesUploaded, result.bytesUploaded]);
    expect(progress.every(([done], i) => i === 0 || done >= (progress[i - 1]?.[0] ?? 0))).toBe(true);

    // The bytes depend only on the files: staging again gives the same parts.
    const again = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/two-targets-again/',
      inputs: [
        { target: 'lib', root: libRoot, files: lib },
        { target: 'models/m1', root: modelRoot, files: model },
        { target: 'docs', root: docsRoot, files: docs },
      ],
      partSize: 8192,
    });
    expect(again.parts.map((p) => p.sha256)).toEqual(result.parts.map((p) => p.sha256));
  });

  it('stages a 10 MB file within 1.1 times its size, through a multipart upload', async () => {
    const root = dir('ten');
    const files = writeFiles(root, { 'weights.bin': 10_000_000 });
    const result = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/ten-mb/',
      inputs: [{ target: 'm', root, files }],
    });
    expect(result.parts).toHaveLength(1);
    expect(result.bytesUploaded).toBeGreaterThanOrEqual(10_000_000);
    expect(result.bytesUploaded).toBeLessThanOrEqual(11_000_000);

    const key = 'efsync/runs/ten-mb/part-0001.tar';
    const calls = (await bed.aws.log()).filter((e) => e.params.Key === key).map((e) => `${e.operation} ${e.status}`);
    expect(calls).toContain('CreateMultipartUpload 200');
    expect(calls.filter((c) => c === 'UploadPart 200').length).toBeGreaterThanOrEqual(2);
    expect(calls).toContain('CompleteMultipartUpload 200');
    expect(calls).not.toContain('PutObject 200');

    const body = await getBytes(bed.s3, bed.bucket, key);
    expect(sha256(body)).toBe(result.parts[0]?.sha256);
    const [member] = await readTar(body);
    expect(member?.sha256).toBe(files[0]?.sha256);
  });

  it('fails naming the path when a file changed after planning, and leaves no multipart upload behind', async () => {
    const root = dir('changed');
    const files = writeFiles(root, { 'ok.txt': 10, 'data/changed.bin': 7_000_000 });
    // Same size, one byte different, at the end: the upload is already under way when the hash is known.
    const changed = path.join(root, 'data', 'changed.bin');
    const content = fs.readFileSync(changed);
    content.writeUInt8(content.readUInt8(6_999_999) ^ 0x5a, 6_999_999);
    fs.writeFileSync(changed, content);
    const runPrefix = 'efsync/runs/changed/';
    const staging = stageParts(bed.s3, { bucket: bed.bucket, runPrefix, inputs: [{ target: 'lib', root, files }] });
    await expect(staging).rejects.toThrow(/"data\/changed\.bin" of target lib changed after it was planned/);
    await expect(staging).rejects.toThrow(/planned 7000000 bytes/);

    const uploads = await bed.s3.send(new ListMultipartUploadsCommand({ Bucket: bed.bucket, Prefix: runPrefix }));
    expect(uploads.Uploads ?? []).toEqual([]);
    const objects = await bed.s3.send(new ListObjectsV2Command({ Bucket: bed.bucket, Prefix: runPrefix }));
    expect(objects.Contents ?? []).toEqual([]);
    expect((await bed.aws.log()).map((e) => e.operation)).toContain('AbortMultipartUpload');
  });

  it('fails when a file grew or disappeared after planning', async () => {
    const root = dir('grew');
    const [grown, gone] = writeFiles(root, { 'grown.txt': 100, 'gone.txt': 100 });
    fs.appendFileSync(path.join(root, 'grown.txt'), 'more');
    fs.rmSync(path.join(root, 'gone.txt'));
    const stage = (file: typeof grown) =>
      stageParts(bed.s3, {
        bucket: bed.bucket,
        runPrefix: 'efsync/runs/grew/',
        inputs: [{ target: 't', root, files: file ? [file] : [] }],
      });
    await expect(stage(grown)).rejects.toThrow(
      /"grown\.txt" of target t changed after it was planned: it now has more/,
    );
    await expect(stage(gone)).rejects.toThrow(/Could not read "gone\.txt" of target t for staging \(ENOENT\)/);
  });

  it('cancels the other parts when one fails, and reports the failing file rather than the cancellation', async () => {
    const big = dir('cancel-big');
    const small = dir('cancel-small');
    const inputs = [
      { target: 'big', root: big, files: writeFiles(big, { 'w.bin': 12_000_000 }) },
      { target: 'small', root: small, files: writeFiles(small, { 'f.txt': 100 }) },
    ];
    fs.writeFileSync(path.join(small, 'f.txt'), Buffer.alloc(100));
    // Slow parts keep the big upload in flight while the small part fails on its first read.
    await bed.aws.fault({ service: 's3', operation: 'UploadPart', nth: 1, times: 100, latencyMs: 1000 });
    const runPrefix = 'efsync/runs/several/';
    await expect(stageParts(bed.s3, { bucket: bed.bucket, runPrefix, inputs, concurrency: 2 })).rejects.toThrow(
      /"f\.txt" of target small changed after it was planned/,
    );
    // The big part was cancelled: no object, and no multipart upload left open, when stageParts returned.
    const objects = await bed.s3.send(new ListObjectsV2Command({ Bucket: bed.bucket, Prefix: runPrefix }));
    expect(objects.Contents ?? []).toEqual([]);
    const uploads = await bed.s3.send(new ListMultipartUploadsCommand({ Bucket: bed.bucket, Prefix: runPrefix }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('survives a throttled upload part by retrying, and fails cleanly when S3 denies it', async () => {
    const root = dir('faults');
    const files = writeFiles(root, { 'w.bin': 6_000_000 });
    await bed.aws.fault({ service: 's3', operation: 'UploadPart', nth: 1, times: 1, code: 'SlowDown' });
    const ok = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/slow/',
      inputs: [{ target: 'm', root, files }],
    });
    expect(sha256(await getBytes(bed.s3, bed.bucket, ok.parts[0]?.key ?? ''))).toBe(ok.parts[0]?.sha256);
    expect((await bed.aws.log()).filter((e) => e.operation === 'UploadPart').map((e) => e.status)).toContain(503);

    await bed.aws.reset();
    await bed.aws.fault({ service: 's3', operation: 'UploadPart', nth: 1, times: 100, code: 'AccessDenied' });
    const runPrefix = 'efsync/runs/denied/';
    await expect(
      stageParts(bed.s3, { bucket: bed.bucket, runPrefix, inputs: [{ target: 'm', root, files }] }),
    ).rejects.toThrow(/denied|AccessDenied/i);
    const uploads = await bed.s3.send(new ListMultipartUploadsCommand({ Bucket: bed.bucket, Prefix: runPrefix }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('stages nothing for empty input, and rejects unsafe or unhashed entries before any upload', async () => {
    const root = dir('empty');
    expect(await stageParts(bed.s3, { bucket: bed.bucket, runPrefix: 'efsync/runs/empty/', inputs: [] })).toEqual({
      parts: [],
      members: new Map(),
      bytesUploaded: 0,
      filesPacked: 0,
    });
    const none = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/empty/',
      inputs: [{ target: 't', root, files: [] }],
    });
    expect(none.parts).toEqual([]);
    const file = writeFiles(root, { 'a.txt': 5 })[0] as FileEntry;
    const bad = async (entry: Partial<FileEntry>) =>
      stageParts(bed.s3, {
        bucket: bed.bucket,
        runPrefix: 'efsync/runs/empty/',
        inputs: [{ target: 't', root, files: [{ ...file, ...entry }] }],
      });
    await expect(bad({ path: '../a.txt' })).rejects.toThrow(/invalid relative path/);
    await expect(bad({ path: '/etc/passwd' })).rejects.toThrow(/invalid relative path/);
    const { sha256: _, ...unhashed } = file;
    await expect(
      stageParts(bed.s3, {
        bucket: bed.bucket,
        runPrefix: 'efsync/runs/empty/',
        inputs: [{ target: 't', root, files: [unhashed] }],
      }),
    ).rejects.toThrow(/has no sha256/);
    expect(await bed.aws.log()).toEqual([]);
  });

  it('keeps odd names exactly through the tar round trip, as node-tar and Python tarfile read them', async () => {
    const root = dir('odd');
    const names = [
      'with space.txt',
      'new\nline.txt',
      `quotes "double" and 'single'.txt`,
      '$(touch pwned) `x` ;&|.txt',
      'back\\slash\ttab.txt',
      'ünïcödé/日本語.txt',
      'e\u0301-decomposed.txt',
      'a'.repeat(255),
      `${'é'.repeat(127)}x`,
      `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(200)}.txt`,
      `${'p'.repeat(90)}/${'q'.repeat(60)}.txt`,
    ];
    expect(Buffer.byteLength(names[8] ?? '')).toBe(255);
    const files = writeFiles(root, Object.fromEntries(names.map((name, i) => [name, 10 + i * 100])));
    const result = await stageParts(bed.s3, {
      bucket: bed.bucket,
      runPrefix: 'efsync/runs/odd/',
      inputs: [{ target: 'odd', root, files }],
    });
    expect([...(result.members.get('odd')?.keys() ?? [])].sort()).toEqual([...names].sort());
    const body = await getBytes(bed.s3, bed.bucket, result.parts[0]?.key ?? '');
    const want = files.map((f) => ({ path: f.path, sha256: f.sha256 }));
    const seen = (members: TarMember[]) => members.map((m) => ({ path: m.path, sha256: m.sha256 }));
    expect(seen(await readTar(body))).toEqual(want);
    const python = readTarWithPython(body);
    expect(seen(python)).toEqual(want);
    for (const member of python) expectPortable(member);
  });
});
