/**
 * Packs the changed files of a run into tar parts (tar.ts encodes them) and uploads them to the staging bucket with
 * a small pool of parallel multipart uploads. The bytes that go to S3 are hashed on the way, so the agent can verify
 * each part it downloads.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { FileEntry } from '../../core/tree.js';
import { checkEntry, END_OF_ARCHIVE, memberBytes, StagingError, type TarPart, tarChunks } from './tar.js';

export interface PackInput {
  target: string;
  /** Absolute directory on the runner that the files' relative paths start from. */
  root: string;
  /** The changed files, each with its planned sha256. */
  files: FileEntry[];
}

export interface StagedPartInfo {
  name: string;
  key: string;
  size: number;
  sha256: string;
}

export interface StageResult {
  parts: StagedPartInfo[];
  /** target → path → where the agent finds the file's content. */
  members: Map<string, Map<string, { part: string; member: string }>>;
  /** Tar bytes sent to S3: file bytes plus headers and padding. */
  bytesUploaded: number;
  filesPacked: number;
}

export interface StageOptions {
  bucket: string;
  /** e.g. 'efsync/runs/<run-id>/'; parts are stored as <runPrefix>part-0001.tar. */
  runPrefix: string;
  inputs: PackInput[];
  /** Upper bound of a part's bytes, unless a single file needs more. Default PART_SIZE. */
  partSize?: number;
  /** Parts uploaded at once, and requests in flight per part. Default 4. */
  concurrency?: number;
  /** Tar bytes uploaded so far, of the total. */
  onProgress?: (done: number, total: number) => void;
}

interface PartPlan extends TarPart {
  index: number;
  name: string;
  key: string;
  size: number;
}

/** A part's bytes at most, unless a single file needs more: more parts upload side by side. */
export const PART_SIZE = 16 * 1024 * 1024;

/** The bytes of each part stageParts would pack these files into: the same rule, with no file read or checked. */
export function partSizes(inputs: { target: string; files: FileEntry[] }[], partSize = PART_SIZE): number[] {
  const unread = inputs.map((input) => ({ ...input, root: '/' }));
  return planParts(unread, '', partSize, new Map(), false).map((plan) => plan.size);
}

export async function stageParts(s3: S3Client, options: StageOptions): Promise<StageResult> {
  const partSize = positiveInteger(options.partSize ?? PART_SIZE, 'partSize');
  const concurrency = positiveInteger(options.concurrency ?? 4, 'concurrency');
  if (!options.runPrefix.endsWith('/')) throw new Error(`The run prefix must end with '/': ${options.runPrefix}`);

  const members: StageResult['members'] = new Map();
  const plans = planParts(options.inputs, options.runPrefix, partSize, members);
  const filesPacked = plans.reduce((sum, plan) => sum + plan.files.length, 0);
  if (plans.length === 0) return { parts: [], members, bytesUploaded: 0, filesPacked: 0 };

  const total = plans.reduce((sum, plan) => sum + plan.size, 0);
  const loaded = new Array<number>(plans.length).fill(0);
  let reported = 0;
  options.onProgress?.(0, total);
  const progress = (index: number, bytes: number) => {
    loaded[index] = bytes;
    const done = loaded.reduce((sum, n) => sum + n, 0);
    if (done === reported) return;
    reported = done;
    options.onProgress?.(done, total);
  };

  const parts = new Array<StagedPartInfo>(plans.length);
  const queue = [...plans];
  const active = new Set<Readable>();
  let failure: { error: unknown } | undefined;

  // A small pool: a failed part stops new parts and cancels the others, so no upload keeps reading files after
  // the run is already lost. Upload aborts its own multipart upload when its body fails.
  const worker = async () => {
    for (let plan = queue.shift(); plan && !failure; plan = queue.shift()) {
      const current = plan;
      try {
        parts[current.index] = await uploadPart(s3, options.bucket, current, concurrency, active, (bytes) =>
          progress(current.index, bytes),
        );
      } catch (error) {
        if (!failure) {
          failure = { error };
          for (const body of active) body.destroy(new Error('Cancelled: another part failed to stage.'));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plans.length) }, worker));
  if (failure) throw failure.error;

  return { parts, members, bytesUploaded: total, filesPacked };
}

function planParts(
  inputs: PackInput[],
  runPrefix: string,
  partSize: number,
  members: StageResult['members'],
  check = true,
): PartPlan[] {
  const plans: PartPlan[] = [];
  for (const input of inputs) {
    if (!path.isAbsolute(input.root)) throw new Error(`The root of target ${input.target} must be absolute.`);
    const byPath = members.get(input.target) ?? new Map<string, { part: string; member: string }>();
    let current: PartPlan | undefined;
    for (const file of input.files) {
      if (check) checkEntry(input.target, file);
      if (byPath.has(file.path)) throw new Error(`Target ${input.target} lists ${JSON.stringify(file.path)} twice.`);
      const bytes = memberBytes(file);
      // A part holds one target only and stays within partSize, unless one file alone is bigger.
      if (!current || (current.files.length > 0 && current.size + bytes > partSize)) {
        const index = plans.length;
        const name = `part-${String(index + 1).padStart(4, '0')}.tar`;
        current = {
          index,
          name,
          key: `${runPrefix}${name}`,
          root: input.root,
          target: input.target,
          files: [],
          size: END_OF_ARCHIVE.length,
        };
        plans.push(current);
      }
      current.files.push(file);
      current.size += bytes;
      byPath.set(file.path, { part: current.name, member: file.path });
    }
    if (byPath.size > 0) members.set(input.target, byPath);
  }
  return plans;
}

async function uploadPart(
  s3: S3Client,
  bucket: string,
  plan: PartPlan,
  concurrency: number,
  active: Set<Readable>,
  onLoaded: (bytes: number) => void,
): Promise<StagedPartInfo> {
  const hash = createHash('sha256');
  let size = 0;
  // The part's hash and size come from exactly the bytes handed to the upload.
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of tarChunks(plan)) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  const body = Readable.from(counted(), { objectMode: false });
  active.add(body);
  try {
    const upload = new Upload({
      client: s3,
      queueSize: concurrency,
      params: {
        Bucket: bucket,
        Key: plan.key,
        Body: body,
        // Known in advance: lets Upload check it sent every byte and report progress against a total.
        ContentLength: plan.size,
        ContentType: 'application/x-tar',
      },
    });
    upload.on('httpUploadProgress', (event) => onLoaded(Math.min(event.loaded ?? 0, plan.size)));
    await upload.done();
  } finally {
    active.delete(body);
  }
  if (size !== plan.size) throw new StagingError(`Staging ${plan.name} produced ${size} bytes, planned ${plan.size}.`);
  onLoaded(size);
  return { name: plan.name, key: plan.key, size, sha256: hash.digest('hex') };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${value}.`);
  return value;
}
