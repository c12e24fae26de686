// Helpers for the staging tests: an S3 client on the test bed, files on disk with their FileEntry, and two
// independent tar readers (node-tar, and Python's tarfile, which is what the agent on the instance uses).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { FileEntry } from '../../../src/core/tree.ts';
import { type LocalAws, startLocalAws } from '../../../testbed/client.ts';

export function s3For(aws: LocalAws): S3Client {
  return clients(aws).s3;
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `efsync-stage-${label}-`));
}

/** Owner of the test files when running as root, so a leaked uid/gid would be visible rather than 0. */
export const FOREIGN_ID = 4321;

/** Writes each file (random content of the given size, or the given content) and returns its planned entry. */
export function writeFiles(root: string, files: Record<string, number | Buffer>, mode = 0o644): FileEntry[] {
  return Object.entries(files).map(([rel, spec]) => {
    const data = typeof spec === 'number' ? randomBytes(spec) : spec;
    const abs = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
    fs.chmodSync(abs, mode);
    if (process.getuid?.() === 0) fs.chownSync(abs, FOREIGN_ID, FOREIGN_ID);
    return { path: rel, size: data.length, mode, sha256: sha256(data) };
  });
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
}

export interface TarMember {
  path: string;
  size: number;
  sha256: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
  type: string;
}

/** Every entry of a tar, read strictly with node-tar. */
export async function readTar(data: Buffer): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        const body = Buffer.concat(chunks);
        members.push({
          path: entry.path,
          size: body.length,
          sha256: sha256(body),
          mode: entry.mode,
          uid: entry.uid,
          gid: entry.gid,
          uname: entry.uname,
          gname: entry.gname,
          mtime: entry.mtime?.getTime(),
          type: entry.type,
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('warn', (code: string, message: string) => reject(new Error(`${code}: ${message}`)));
    parser.on('end', () => resolve());
    parser.end(data);
  });
  return members;
}

const PYTHON_LIST = `
import hashlib, json, sys, tarfile
out = []
with tarfile.open(fileobj=sys.stdin.buffer, mode='r|') as tar:
    for m in tar:
        f = tar.extractfile(m)
        body = f.read() if f else b''
        out.append({'path': m.name, 'size': len(body), 'sha256': hashlib.sha256(body).hexdigest(), 'mode': m.mode,
                    'uid': m.uid, 'gid': m.gid, 'uname': m.uname, 'gname': m.gname, 'mtime': int(m.mtime) * 1000,
                    'type': 'File' if m.isreg() else str(m.type)})
json.dump(out, sys.stdout)
`;

import { sha256 } from '../../support/hash.ts';
import { clients } from '../../support/local-aws.ts';

export { sha256 };

/** Every entry of a tar as Python's tarfile (the agent's reader) sees it. */
export function readTarWithPython(data: Buffer): TarMember[] {
  const run = spawnSync('python3', ['-c', PYTHON_LIST], { input: data, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 tarfile failed: ${run.stderr?.toString() ?? run.error}`);
  return JSON.parse(run.stdout.toString('utf8')) as TarMember[];
}

export interface StagingBed {
  aws: LocalAws;
  s3: S3Client;
  bucket: string;
}

/** A test bed for the calling test file: started before all its tests, reset before each, stopped after all. */
export function useStagingBed(): StagingBed {
  const bed = {} as StagingBed;
  beforeAll(async () => {
    bed.aws = await startLocalAws();
    bed.s3 = s3For(bed.aws);
    bed.bucket = bed.aws.info.stagingBucket;
  }, 60_000);
  afterAll(async () => {
    bed.s3?.destroy();
    await bed.aws?.stop();
  });
  beforeEach(() => bed.aws.reset());
  return bed;
}
