/**
 * Uploads the job manifest the agent runs. The bootstrap downloads it by presigned URL and checks its sha256 before
 * it runs anything, so the hash returned here is of exactly the bytes sent.
 *
 * With `chunks`, each target's files go into JSON Lines chunks of their own (JobChunk, src/remote/protocol.ts), each
 * uploaded, hashed and presigned before the job that names them: the job stays a few KiB whatever the number of files
 * (100,000 S3 objects, each with a presigned URL of about 1.5 KiB, would make it 150 MB), and the agent holds one
 * chunk at a time. One chunk's text is built at a time, never the whole job's.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../../core/async.js';
import type { JobChunk, JobManifest, ReleaseFile, TargetJob } from '../protocol.js';

/** The most files a chunk holds: about 2 MB with S3-object URLs, parsed by the agent in a few MB of memory. */
export const JOB_CHUNK_FILES = 1000;
/** The most bytes a chunk holds (long paths): a chunk closes before a line would take it past this. */
export const JOB_CHUNK_BYTES = 4 * 1024 * 1024;
/** Chunks uploaded at once. */
const CHUNK_UPLOADS = 4;

export interface JobChunks {
  /** Where the chunks go: '<prefix><target #>-<chunk #>.jsonl'. */
  prefix: string;
  /** The presigned GET of a chunk's key. */
  url: (key: string) => Promise<string>;
}

/** A chunk's files, by their index in the target's files. */
interface Span {
  start: number;
  end: number;
}

export async function uploadJob<Job extends JobManifest>(
  s3: S3Client,
  options: { bucket: string; key: string; job: Job; chunks?: JobChunks },
): Promise<{ sha256: string; size: number; chunks: number }> {
  const { bucket, chunks } = options;
  let job: Job = options.job;
  let count = 0;
  if (chunks) {
    const targets: TargetJob[] = [];
    for (const [t, target] of job.targets.entries()) {
      const spans = chunkSpans(target.files).map((span, n) => ({ ...span, n }));
      const uploaded = await mapLimit(spans, CHUNK_UPLOADS, async (span) => {
        const n = span.n;
        const key = `${chunks.prefix}${t + 1}-${n + 1}.jsonl`;
        const body = chunkBody(target.files, span);
        await put(s3, bucket, key, body, 'application/x-ndjson');
        const chunk: JobChunk = {
          url: await chunks.url(key),
          size: body.length,
          sha256: createHash('sha256').update(body).digest('hex'),
          files: span.end - span.start,
        };
        return chunk;
      });
      count += uploaded.length;
      targets.push({ ...target, files: [], ...(uploaded.length > 0 && { chunks: uploaded }) });
    }
    job = { ...job, targets };
  }
  // One buffer, hashed and sent as is: no re-serialisation between hashing and upload.
  const body = Buffer.from(JSON.stringify(job), 'utf8');
  await put(s3, bucket, options.key, body, 'application/json');
  return { sha256: createHash('sha256').update(body).digest('hex'), size: body.length, chunks: count };
}

/**
 * The files split into runs of at most `maxFiles` files and `maxBytes` bytes of JSON Lines (a single longer line
 * makes a chunk of its own), in order.
 */
export function chunkSpans(
  files: readonly ReleaseFile[],
  maxFiles = JOB_CHUNK_FILES,
  maxBytes = JOB_CHUNK_BYTES,
): Span[] {
  const spans: Span[] = [];
  let start = 0;
  let bytes = 0;
  for (const [i, file] of files.entries()) {
    const size = lineBytes(file);
    if (i > start && (i - start >= maxFiles || bytes + size > maxBytes)) {
      spans.push({ start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (files.length > start) spans.push({ start, end: files.length });
  return spans;
}

function lineBytes(file: ReleaseFile): number {
  return Buffer.byteLength(JSON.stringify(file), 'utf8') + 1;
}

/** A chunk's body: one ReleaseFile JSON a line, each line ended by '\n'. */
export function chunkBody(files: readonly ReleaseFile[], span: Span): Buffer {
  const lines: string[] = [];
  for (let i = span.start; i < span.end; i++) lines.push(`${JSON.stringify(files[i])}\n`);
  return Buffer.from(lines.join(''), 'utf8');
}

async function put(s3: S3Client, bucket: string, key: string, body: Buffer, contentType: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: contentType,
    }),
  );
}
