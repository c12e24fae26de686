// A run's staging objects: deleting them all (batches, dangling multipart uploads, idempotent, nothing else
// touched), reading one back, and listing runs for the sweep.
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { deleteRunObjects, listRunPrefixes, readRunObject } from '../../../src/remote/stage/run-objects.ts';
import { useStagingBed } from './support.ts';

const bed = useStagingBed();

async function put(keys: string[]) {
  // A few at a time: quick against the test bed without flooding it.
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(
      keys.slice(i, i + 50).map((Key) => bed.s3.send(new PutObjectCommand({ Bucket: bed.bucket, Key, Body: Key }))),
    );
  }
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await bed.s3.send(
      new ListObjectsV2Command({ Bucket: bed.bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function danglingUpload(key: string): Promise<string> {
  const { UploadId } = await bed.s3.send(new CreateMultipartUploadCommand({ Bucket: bed.bucket, Key: key }));
  await bed.s3.send(new UploadPartCommand({ Bucket: bed.bucket, Key: key, UploadId, PartNumber: 1, Body: 'partial' }));
  return UploadId ?? '';
}

async function uploadsUnder(prefix: string) {
  return (await bed.s3.send(new ListMultipartUploadsCommand({ Bucket: bed.bucket, Prefix: prefix }))).Uploads ?? [];
}

describe('deleteRunObjects', () => {
  it('deletes everything under the run prefix in batches of 1000, aborts a dangling upload, leaves the rest', async () => {
    const run = 'efsync/runs/run-1/';
    const mine = Array.from({ length: 1003 }, (_, i) => `${run}${i % 2 ? 'sub/' : ''}obj-${i}`);
    // 'run-12' shares the text 'run-1' with the run: only the trailing slash tells them apart.
    const others = ['efsync/runs/run-12/part-0001.tar', 'efsync/state/fs-1/lib.json', 'efsync/runs/run-1'];
    await put([...mine, ...others]);
    await danglingUpload(`${run}part-0009.tar`);
    const otherUpload = await danglingUpload('efsync/runs/run-12/part-0002.tar');
    await bed.aws.reset();

    expect(await deleteRunObjects(bed.s3, bed.bucket, run)).toBe(1003);
    expect(await keysUnder(run)).toEqual([]);
    expect(await uploadsUnder(run)).toEqual([]);
    expect(await keysUnder('efsync/')).toEqual([...others].sort());
    expect((await uploadsUnder('efsync/')).map((u) => u.UploadId)).toEqual([otherUpload]);
    const operations = (await bed.aws.log()).map((e) => e.operation);
    expect(operations.filter((o) => o === 'DeleteObjects')).toHaveLength(2);
    expect(operations.filter((o) => o === 'AbortMultipartUpload')).toHaveLength(1);

    // Again, as the post step would after main's finally: nothing left, no error.
    expect(await deleteRunObjects(bed.s3, bed.bucket, run)).toBe(0);
    expect(await keysUnder('efsync/')).toEqual([...others].sort());
  });

  it('refuses a prefix that could reach beyond one run', async () => {
    await put(['efsync/runs/keep/a']);
    await expect(deleteRunObjects(bed.s3, bed.bucket, '')).rejects.toThrow(/Refusing/);
    await expect(deleteRunObjects(bed.s3, bed.bucket, 'efsync/runs/kee')).rejects.toThrow(/Refusing/);
    await expect(deleteRunObjects(bed.s3, bed.bucket, '/')).rejects.toThrow(/Refusing/);
    expect(await keysUnder('efsync/runs/keep/')).toEqual(['efsync/runs/keep/a']);
  });
});

describe('readRunObject', () => {
  it('returns the text of an object, undefined for a missing key, and throws for a missing bucket', async () => {
    await bed.s3.send(
      new PutObjectCommand({ Bucket: bed.bucket, Key: 'efsync/runs/read/result.json', Body: '{"ü":1}' }),
    );
    expect(await readRunObject(bed.s3, bed.bucket, 'efsync/runs/read/result.json')).toBe('{"ü":1}');
    expect(await readRunObject(bed.s3, bed.bucket, 'efsync/runs/read/missing.json')).toBeUndefined();
    await expect(readRunObject(bed.s3, 'efsync-no-such-bucket', 'x')).rejects.toThrow();
  });
});

describe('listRunPrefixes', () => {
  it('lists the runs under <prefix>runs/ with their newest object time, counting dangling uploads', async () => {
    const base = 'sweep/';
    await put([`${base}runs/a/part-0001.tar`, `${base}runs/a/job.json`, `${base}runs/b/x/y`, `${base}runs/loose`]);
    await put([`${base}state/fs-1/lib.json`, 'other/runs/z/job.json']);
    await danglingUpload(`${base}runs/c/part-0001.tar`);

    const runs = await listRunPrefixes(bed.s3, bed.bucket, base);
    expect(runs.map((r) => [r.runId, r.prefix, r.objects]).sort()).toEqual([
      ['a', 'sweep/runs/a/', 2],
      ['b', 'sweep/runs/b/', 1],
      ['c', 'sweep/runs/c/', 1],
    ]);
    const listed =
      (await bed.s3.send(new ListObjectsV2Command({ Bucket: bed.bucket, Prefix: 'sweep/runs/a/' }))).Contents ?? [];
    const newest = Math.max(...listed.map((o) => o.LastModified?.getTime() ?? 0));
    expect(runs.find((r) => r.runId === 'a')?.lastModified.getTime()).toBe(newest);
    const [upload] = await uploadsUnder('sweep/runs/c/');
    expect(runs.find((r) => r.runId === 'c')?.lastModified.getTime()).toBe(upload?.Initiated?.getTime());
    // Oldest first, for a sweep that deletes what is stale.
    const times = runs.map((r) => r.lastModified.getTime());
    expect(times).toEqual([...times].sort((x, y) => x - y));

    expect(await listRunPrefixes(bed.s3, bed.bucket, 'nothing-here/')).toEqual([]);
  });
});
