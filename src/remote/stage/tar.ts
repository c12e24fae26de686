/**
 * The tar encoding of staged parts. Each file is read once, and the bytes that leave the disk are hashed on the way,
 * so a file changed since planning is caught. Written here rather than by node-tar's Pack, because Pack reads files
 * itself and would need a second read to hash them; node-tar's Header still encodes the ustar blocks (octal fields,
 * checksum, prefix split).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Header } from 'tar';
import { EfsyncError } from '../../core/errors.js';
import type { FileEntry } from '../../core/tree.js';

/** A file cannot be staged as planned (it changed since, or its entry is malformed). */
export class StagingError extends EfsyncError {}

const BLOCK = 512;
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
/** Fixed, so a part's bytes depend only on the files: the agent writes files itself and sets no mtime from here. */
const MTIME = new Date(0);
/** Largest size a ustar header holds in octal; beyond it the size also goes into the pax header. */
const MAX_USTAR_SIZE = 0o77777777777;
const READ_CHUNK = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Files of one target, relative to a root directory on the runner. */
export interface TarPart {
  root: string;
  target: string;
  files: FileEntry[];
}

/** The bytes a file takes in a part: its headers and its padded content. */
export function memberBytes(file: FileEntry): number {
  return headerBlocks(file).length + padded(file.size);
}

/** The tar bytes of a part: each file's headers, content (checked against its plan) and padding, then the end. */
export async function* tarChunks(plan: TarPart): AsyncGenerator<Buffer> {
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
    throw new StagingError(`Could not read ${where} for staging (${reason}); did it change after planning?`, {
      cause: error,
    });
  }
  if (grew) {
    throw new StagingError(
      `${where} changed after it was planned: it now has more than the planned ${file.size} bytes. Run the sync again.`,
    );
  }
  const sha256 = hash.digest('hex');
  if (read !== file.size || sha256 !== file.sha256?.toLowerCase()) {
    throw new StagingError(
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

export function checkEntry(target: string, file: FileEntry): void {
  const parts = file.path.split('/');
  // The member name is the agent's write path: nothing may climb out of the release directory.
  if (file.path.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new StagingError(`Target ${target} has an invalid relative path: ${JSON.stringify(file.path)}.`);
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new StagingError(`Target ${target}: ${JSON.stringify(file.path)} has an invalid size ${file.size}.`);
  }
  if (!file.sha256 || !SHA256_HEX.test(file.sha256.toLowerCase())) {
    throw new StagingError(
      `Target ${target}: ${JSON.stringify(file.path)} has no sha256; only hashed files can be staged.`,
    );
  }
}
