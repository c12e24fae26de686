// Presigned GET and PUT used with plain fetch, as the bootstrap and the agent use them, and the job manifest upload.
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { JobManifest } from '../../../src/remote/protocol.ts';
import { uploadJob } from '../../../src/remote/stage/job-upload.ts';
import { MAX_PRESIGN_SECONDS, presignGet, presignPut } from '../../../src/remote/stage/presign.ts';
import { getBytes, sha256, useStagingBed } from './support.ts';

const bed = useStagingBed();

describe('presigned URLs', () => {
  it('GET returns the object, also for a key with spaces and unicode', async () => {
    const key = 'efsync/runs/presign/dir with space/ünï €.bin';
    const body = Buffer.from('the staged bytes \u0000\u00ff');
    await bed.s3.send(new PutObjectCommand({ Bucket: bed.bucket, Key: key, Body: body }));
    const url = await presignGet(bed.s3, bed.bucket, key, 600);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('600');
  });

  it('PUT stores what is sent, and signs no checksum of an empty body that real S3 would enforce', async () => {
    const key = 'efsync/runs/presign/result.json';
    const url = await presignPut(bed.s3, bed.bucket, key, 900);
    const params = [...new URL(url).searchParams.keys()].map((name) => name.toLowerCase());
    expect(params.filter((name) => name.startsWith('x-amz-checksum') || name.startsWith('x-amz-sdk-checksum'))).toEqual(
      [],
    );
    expect(params).toContain('x-amz-signature');
    const body = JSON.stringify({ version: 1, status: 'ok' });
    const res = await fetch(url, { method: 'PUT', body });
    expect(res.status).toBe(200);
    expect((await getBytes(bed.s3, bed.bucket, key)).toString('utf8')).toBe(body);
  });

  it('caps the lifetime at the SigV4 maximum of 7 days and refuses a lifetime under a second', async () => {
    const thirtyDays = await presignGet(bed.s3, bed.bucket, 'k', 30 * 24 * 3600);
    expect(new URL(thirtyDays).searchParams.get('X-Amz-Expires')).toBe(String(MAX_PRESIGN_SECONDS));
    expect(MAX_PRESIGN_SECONDS).toBe(604_800);
    const put = await presignPut(bed.s3, bed.bucket, 'k', 3600.7);
    expect(new URL(put).searchParams.get('X-Amz-Expires')).toBe('3600');
    await expect(presignGet(bed.s3, bed.bucket, 'k', 0)).rejects.toThrow(/at least 1 second/);
    await expect(presignPut(bed.s3, bed.bucket, 'k', Number.NaN)).rejects.toThrow(/at least 1 second/);
  });

  it('signs no URL past the expiration of the session credentials that sign it', async () => {
    const expiration = new Date(Date.now() + 20 * 60 * 1000);
    const s3 = new S3Client({
      region: 'eu-central-1',
      credentials: { accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't', expiration },
    });
    const url = await presignGet(s3, bed.bucket, 'k', 3600);
    const expires = Number(new URL(url).searchParams.get('X-Amz-Expires'));
    expect(expires).toBeLessThanOrEqual(20 * 60);
    expect(expires).toBeGreaterThan(19 * 60);
    s3.destroy();
  });
});

describe('uploadJob', () => {
  it('uploads the manifest as JSON and returns the sha256 and size of exactly the stored bytes', async () => {
    const job: JobManifest = {
      version: 1,
      runId: 'run-1',
      fileSystemId: 'fs-0123',
      mount: {
        fileSystemId: 'fs-0123',
        dnsName: 'fs-0123.efs.us-east-1.amazonaws.com',
        iam: false,
        plainNfsAllowed: true,
        reason: 'no policy',
      },
      lockTimeoutSeconds: 600,
      keepReleases: 3,
      keepReleasesMinutes: 0,
      concurrency: 8,
      parts: [
        {
          name: 'part-0001.tar',
          url: 'https://example.invalid/p?X-Amz-Signature=x',
          size: 1536,
          sha256: 'a'.repeat(64),
        },
      ],
      targets: [
        {
          target: 'lib',
          kind: 'local',
          action: 'sync',
          releaseId: 'r2',
          baseReleaseId: null,
          dirs: [{ path: 'ünï', mode: 0o755 }],
          files: [
            {
              path: 'ünï/a b\n.txt',
              size: 3,
              mode: 0o644,
              sha256: 'b'.repeat(64),
              source: { from: 'part', part: 'part-0001.tar', member: 'ünï/a b\n.txt' },
            },
          ],
          deleted: [],
        },
      ],
      logUrl: 'https://example.invalid/log',
      resultUrl: 'https://example.invalid/result',
    };
    const key = 'efsync/runs/job/job.json';
    const uploaded = await uploadJob(bed.s3, { bucket: bed.bucket, key, job });
    const stored = await getBytes(bed.s3, bed.bucket, key);
    expect(uploaded).toEqual({ sha256: sha256(stored), size: stored.length, chunks: 0 });
    expect(JSON.parse(stored.toString('utf8'))).toEqual(job);
    const head = await bed.s3.send(new HeadObjectCommand({ Bucket: bed.bucket, Key: key }));
    expect(head.ContentType).toBe('application/json');
  });
  it('with chunks, moves every file into JSON Lines chunks the job names by URL, size, sha256 and count', async () => {
    const files = Array.from({ length: 2500 }, (_, i) => ({
      path: `f${i}.bin`,
      size: 1,
      mode: 0o644,
      etag: 'e'.repeat(32),
      source: {
        from: 'url' as const,
        url: `https://example.invalid/o/${i}?X-Amz-Signature=x`,
        verify: 'size' as const,
      },
    }));
    const job = {
      version: 1 as const,
      runId: 'run-2',
      fileSystemId: 'fs-0123',
      mount: {
        fileSystemId: 'fs-0123',
        dnsName: 'fs-0123.efs.us-east-1.amazonaws.com',
        iam: false,
        plainNfsAllowed: true,
        reason: 'x',
      },
      lockTimeoutSeconds: 600,
      keepReleases: 3,
      keepReleasesMinutes: 0,
      concurrency: 8,
      parts: [],
      targets: [
        {
          target: 'o',
          kind: 's3' as const,
          action: 'sync' as const,
          releaseId: 'r',
          baseReleaseId: null,
          dirs: [],
          files,
          deleted: [],
        },
      ],
      logUrl: 'https://example.invalid/log',
      resultUrl: 'https://example.invalid/result',
    };
    const key = 'efsync/runs/job2/job.json';
    const uploaded = await uploadJob(bed.s3, {
      bucket: bed.bucket,
      key,
      job,
      chunks: { prefix: 'efsync/runs/job2/job/', url: async (k) => `https://signed/${k}` },
    });
    expect(uploaded.chunks).toBe(3);
    const head = JSON.parse((await getBytes(bed.s3, bed.bucket, key)).toString('utf8')) as JobManifest;
    expect(head.targets[0]?.files).toEqual([]);
    const chunks = head.targets[0]?.chunks ?? [];
    expect(chunks.map((c) => [c.url, c.files])).toEqual([
      ['https://signed/efsync/runs/job2/job/1-1.jsonl', 1000],
      ['https://signed/efsync/runs/job2/job/1-2.jsonl', 1000],
      ['https://signed/efsync/runs/job2/job/1-3.jsonl', 500],
    ]);
    const lines: unknown[] = [];
    for (const [n, chunk] of chunks.entries()) {
      const body = await getBytes(bed.s3, bed.bucket, `efsync/runs/job2/job/1-${n + 1}.jsonl`);
      expect({ size: body.length, sha256: sha256(body) }).toEqual({ size: chunk.size, sha256: chunk.sha256 });
      lines.push(
        ...body
          .toString('utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
    expect(lines).toEqual(files);
  });
});
