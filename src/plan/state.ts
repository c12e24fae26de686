/**
 * The last published state of a target, kept in the staging bucket. It is what the next run diffs against, so a
 * state that cannot be trusted stops the run rather than produce a wrong diff.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EfsyncError, errorMessage } from '../core/errors.js';
import { isRecord, type PublishedState } from '../core/published.js';
import { isTargetKind } from '../core/targets.js';

export class StateError extends EfsyncError {}

export async function readPublishedState(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<PublishedState | undefined> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw new StateError(`Cannot read the published state s3://${bucket}/${key}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(bucket, key, 'it is not JSON');
  }
  const problem = stateProblem(parsed);
  if (problem !== undefined) throw invalid(bucket, key, problem);
  return parsed as PublishedState;
}

export async function writePublishedState(
  s3: S3Client,
  bucket: string,
  key: string,
  state: PublishedState,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(state),
      ContentType: 'application/json',
    }),
  );
}

function invalid(bucket: string, key: string, problem: string): StateError {
  return new StateError(
    `The published state s3://${bucket}/${key} cannot be used: ${problem}. Delete this object to re-publish the ` +
      'target in full on the next run.',
  );
}

/** Why the value is not a PublishedState this version can use, or undefined when it is. */
function stateProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it is not a JSON object';
  if (value.version !== 1) return `it has version ${JSON.stringify(value.version)}, this action reads version 1`;
  for (const field of ['fileSystemId', 'target', 'releaseId', 'publishedAt'] as const) {
    if (typeof value[field] !== 'string') return `"${field}" is missing or not a string`;
  }
  if (!isTargetKind(value.kind)) return '"kind" is not pip, local or s3';
  if (value.key !== undefined && typeof value.key !== 'string') return '"key" is not a string';
  if (value.root !== undefined && typeof value.root !== 'string') return '"root" is not a string';
  const tree = value.tree;
  if (!isRecord(tree) || !Array.isArray(tree.files) || !Array.isArray(tree.dirs)) return '"tree" is malformed';
  const badFile = tree.files.findIndex(
    (file: unknown) =>
      !isRecord(file) ||
      typeof file.path !== 'string' ||
      typeof file.size !== 'number' ||
      typeof file.mode !== 'number' ||
      (typeof file.sha256 !== 'string' && typeof file.etag !== 'string'),
  );
  if (badFile >= 0) return `tree file #${badFile} is malformed`;
  const badDir = tree.dirs.findIndex(
    (dir: unknown) => !isRecord(dir) || typeof dir.path !== 'string' || typeof dir.mode !== 'number',
  );
  if (badDir >= 0) return `tree directory #${badDir} is malformed`;
  return undefined;
}
