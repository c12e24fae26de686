/**
 * Packs the changed files of a run into plain tar parts and uploads them to the staging bucket. Each file is read
 * once: the bytes that leave the disk are hashed on the way (so a file changed since planning is caught) and the
 * bytes that go to S3 are hashed on the way (so the agent can verify each part it downloads).
 *
 * The tar is written here rather than by node-tar's Pack, because Pack reads files itself and would need a second
 * read to hash them. node-tar's Header still encodes the ustar blocks (octal fields, checksum, prefix split).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Header } from 'tar';
import type { FileEntry } from '../core/tree.js';

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
  /** Upper bound of a part's bytes, unless a single file needs more. Default 16 MiB: more parts upload side by side. */
  partSize?: number;
  /** Parts uploaded at once, and requests in flight per part. Default 4. */
  concurrency?: number;
  /** Tar bytes uploaded so far, of the total. */
  onProgress?: (done: number, total: number) => void;
}

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
/** Fixed, so a part's bytes depend only on the files: the agent writes files itself and sets no mtime from here. */
const MTIME = new Date(0);
/** Largest size a ustar header holds in octal; beyond it the size also goes into the pax header. */
const MAX_USTAR_SIZE = 0o77777777777;
const READ_CHUNK = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

interface PartPlan {
  index: number;
  name: string;
  key: string;
  root: string;
  target: string;
  files: FileEntry[];
  size: number;
}

export async function stageParts(s3: S3Client, options: StageOptions): Promise<StageResult> {
  const partSize = positiveInteger(options.partSize ?? 16 * 1024 * 1024, 'partSize');
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
): PartPlan[] {
  const plans: PartPlan[] = [];
  for (const input of inputs) {
    if (!path.isAbsolute(input.root)) throw new Error(`The root of target ${input.target} must be absolute.`);
    const byPath = members.get(input.target) ?? new Map<string, { part: string; member: string }>();
    let current: PartPlan | undefined;
    for (const file of input.files) {
      checkEntry(input.target, file);
      if (byPath.has(file.path)) throw new Error(`Target ${input.target} lists ${JSON.stringify(file.path)} twice.`);
      const bytes = headerBlocks(file).length + padded(file.size);
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
  if (size !== plan.size) throw new Error(`Staging ${plan.name} produced ${size} bytes, planned ${plan.size}.`);
  onLoaded(size);
  return { name: plan.name, key: plan.key, size, sha256: hash.digest('hex') };
}

async function* tarChunks(plan: PartPlan): AsyncGenerator<Buffer> {
  for (const file of plan.files) {
    yield headerBlocks(file);
    yield* fileContent(plan.root, plan.target, file);
    const padding = padded(file.size) - file.size;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield END_OF_ARCHIVE;
}

async function* fileContent(root: string, target: string, file: FileEntry): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let read = 0;
  let grew = false;
  const where = `${JSON.stringify(file.path)} of target ${target}`;
  const full = path.join(root, ...file.path.split('/'));
  // A small file in one read: a stream per file costs more than the bytes themselves when there are thousands.
  const stream =
    file.size <= READ_CHUNK ? readSmall(full, file.size) : createReadStream(full, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      // The header already promised file.size bytes: more can never be packed.
      if (read > file.size) {
        grew = true;
        break;
      }
      hash.update(chunk);
      yield chunk;
    }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`Could not read ${where} for staging (${reason}); did it change after planning?`, {
      cause: error,
    });
  }
  if (grew) {
    throw new Error(
      `${where} changed after it was planned: it now has more than the planned ${file.size} bytes. Run the sync again.`,
    );
  }
  const sha256 = hash.digest('hex');
  if (read !== file.size || sha256 !== file.sha256?.toLowerCase()) {
    throw new Error(
      `${where} changed after it was planned: planned ${file.size} bytes with sha256 ${file.sha256}, ` +
        `read ${read} bytes with sha256 ${sha256}. Run the sync again.`,
    );
  }
}

/** At most `size + 1` bytes of a file, in one buffer: the one byte more shows that it grew. */
async function* readSmall(file: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The pax header (when needed) and the ustar header of a file. Portable: root owner, no names, fixed mtime. */
function headerBlocks(file: FileEntry): Buffer {
  const fields = { mode: file.mode & 0o7777, uid: 0, gid: 0, uname: '', gname: '', mtime: MTIME, devmaj: 0, devmin: 0 };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header({ ...fields, path: file.path, size: file.size, type: 'File' }).encode(block);
  if (!needPax) return block;
  // Long or non-ASCII names (and sizes beyond 8 GiB) go into a pax record, which every reader prefers over ustar.
  let records = paxRecord('path', file.path);
  if (file.size > MAX_USTAR_SIZE) records += paxRecord('size', String(file.size));
  const body = Buffer.from(records, 'utf8');
  const pax = Buffer.alloc(BLOCK + padded(body.length));
  new Header({ ...fields, mode: 0o644, path: '././@PaxHeader', size: body.length, type: 'ExtendedHeader' }).encode(pax);
  body.copy(pax, BLOCK);
  return Buffer.concat([pax, block]);
}

/** '<length> <key>=<value>\n', where length counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let digits = String(restBytes).length;
  if (String(restBytes + digits).length > digits) digits += 1;
  return `${restBytes + digits}${rest}`;
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function checkEntry(target: string, file: FileEntry): void {
  const parts = file.path.split('/');
  // The member name is the agent's write path: nothing may climb out of the release directory.
  if (file.path.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`Target ${target} has an invalid relative path: ${JSON.stringify(file.path)}.`);
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new Error(`Target ${target}: ${JSON.stringify(file.path)} has an invalid size ${file.size}.`);
  }
  if (!file.sha256 || !SHA256_HEX.test(file.sha256.toLowerCase())) {
    throw new Error(`Target ${target}: ${JSON.stringify(file.path)} has no sha256; only hashed files can be staged.`);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${value}.`);
  return value;
}
