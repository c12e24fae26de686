/**
 * The staging objects of runs: reading one back, deleting a run's objects at cleanup, and listing runs for the sweep
 * that removes those a crashed run left behind. Cleanup runs from main's finally, the signal handler and the post
 * step, possibly more than once, so deleting is idempotent.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StagingError } from './tar.js';

export interface RunPrefix {
  runId: string;
  /** e.g. 'efsync/runs/<run-id>/', as deleteRunObjects takes it. */
  prefix: string;
  /** The newest object's LastModified, or the newest unfinished multipart upload's start. */
  lastModified: Date;
  /** Objects and unfinished multipart uploads under the prefix. */
  objects: number;
}

/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

/** Deletes every object under runPrefix and aborts its unfinished multipart uploads; returns the objects deleted. */
export async function deleteRunObjects(s3: S3Client, bucket: string, runPrefix: string): Promise<number> {
  // A prefix without its trailing slash would also match other runs ('runs/1' matches 'runs/12/'), and an empty
  // one the whole bucket.
  if (!runPrefix.endsWith('/') || runPrefix === '/') throw new Error(`Refusing to delete under prefix '${runPrefix}'.`);

  // Uploads first: an unfinished multipart upload is invisible to ListObjectsV2 but still billed.
  for await (const upload of multipartUploads(s3, bucket, runPrefix)) {
    try {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }));
    } catch (error) {
      if (errorName(error) !== 'NoSuchUpload') throw error;
    }
  }

  const keys: string[] = [];
  for await (const object of objects(s3, bucket, runPrefix)) keys.push(object.key);
  let deleted = 0;
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const answer = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const errors = answer.Errors ?? [];
    if (errors.length > 0) {
      const first = errors.slice(0, 3).map((e) => `${e.Key}: ${e.Code ?? 'error'}`);
      throw new StagingError(
        `Could not delete ${errors.length} staging object(s) in s3://${bucket}/${runPrefix}: ${first}`,
      );
    }
    deleted += batch.length;
  }
  return deleted;
}

/** The object's text, or undefined when there is no such object. */
export async function readRunObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await answer.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    // Only a missing key is an answer; a missing bucket or a denied read is an error the caller must see.
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The runs under '<prefix>runs/', oldest first, each with its newest object's time. */
export async function listRunPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<RunPrefix[]> {
  const base = `${prefix}runs/`;
  const runs = new Map<string, RunPrefix>();
  const note = (key: string, when: Date | undefined) => {
    const slash = key.indexOf('/', base.length);
    // A key directly under runs/ belongs to no run.
    if (slash <= base.length) return;
    const runId = key.slice(base.length, slash);
    const time = when ?? new Date(0);
    const run = runs.get(runId);
    if (!run) runs.set(runId, { runId, prefix: `${base}${runId}/`, lastModified: time, objects: 1 });
    else {
      run.objects += 1;
      if (time > run.lastModified) run.lastModified = time;
    }
  };
  for await (const object of objects(s3, bucket, base)) note(object.key, object.lastModified);
  for await (const upload of multipartUploads(s3, bucket, base)) note(upload.key, upload.initiated);
  return [...runs.values()].sort(
    (a, b) => a.lastModified.getTime() - b.lastModified.getTime() || (a.runId < b.runId ? -1 : 1),
  );
}

async function* objects(s3: S3Client, bucket: string, prefix: string) {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key) yield { key: object.Key, lastModified: object.LastModified };
    }
  }
}

/** The SDK has no paginator for ListMultipartUploads: its two markers are followed here while IsTruncated. */
async function* multipartUploads(s3: S3Client, bucket: string, prefix: string) {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker && { KeyMarker: keyMarker }),
        ...(uploadIdMarker && { UploadIdMarker: uploadIdMarker }),
      }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key && upload.UploadId)
        yield { key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated };
    }
    const more = page.IsTruncated === true;
    keyMarker = more ? page.NextKeyMarker : undefined;
    uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
