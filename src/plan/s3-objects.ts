/**
 * What S3 offers to verify each S3-source object that must be fetched, and whether it can be read at all, learned
 * before any instance exists. ListObjectsV2 returns neither the encryption nor a restore's state, so each changed
 * object gets one HeadObject (with ChecksumMode ENABLED), HEAD_CONCURRENCY at a time; unchanged objects are hard
 * links of the base release and are never read, so they cost nothing.
 *
 * - The ETag is an MD5 of the data only for single-part objects that are unencrypted or SSE-S3: "Objects ...
 *   encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest", and multipart ETags never are (botocore
 *   s3 service-2.json, Object.ETag). DSSE-KMS ('aws:kms:dsse') is KMS too.
 * - Else a full-object checksum S3 keeps with the object (x-amz-checksum-*, returned with ChecksumMode ENABLED;
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html). A COMPOSITE checksum is
 *   a checksum of the parts' checksums ("-N" suffix), which the agent cannot recompute: not used.
 * - Else the size alone.
 * - GLACIER and DEEP_ARCHIVE objects, and INTELLIGENT_TIERING objects in an archive tier (HeadObject ArchiveStatus),
 *   cannot be read until restored: a GET answers 403 InvalidObjectState
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). A restored copy shows
 *   `x-amz-restore: ongoing-request="false", ...` (HeadObject Restore).
 */
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../config/types.js';
import { mapLimit } from '../core/async.js';
import type { ObjectCheck, VerifyAlgorithm } from '../core/tree.js';
import { S3SourceError } from './s3-source.js';

export const HEAD_CONCURRENCY = 16;
/** How many archived keys the error names; the count says how many there are in all. */
export const ARCHIVED_SHOWN = 5;

const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const MD5_HEX = /^[0-9a-f]{32}$/i;

/** S3's checksums, in the order the agent prefers them (stdlib hashes first), with their digest sizes. */
const CHECKSUMS: [VerifyAlgorithm, keyof HeadObjectCommandOutput, number][] = [
  ['sha256', 'ChecksumSHA256', 32],
  ['sha512', 'ChecksumSHA512', 64],
  ['sha1', 'ChecksumSHA1', 20],
  ['md5', 'ChecksumMD5', 16],
  ['crc32', 'ChecksumCRC32', 4],
  ['crc32c', 'ChecksumCRC32C', 4],
  ['crc64nvme', 'ChecksumCRC64NVME', 8],
];

export interface ObjectToFetch {
  /** The file's path below the target. */
  path: string;
  key: string;
  /** The ETag the listing gave, without quotes. */
  etag: string;
}

/** How an object can be verified, from its ETag and its HeadObject. */
export function chooseCheck(etag: string, head: HeadObjectCommandOutput): ObjectCheck {
  const sse = head.ServerSideEncryption;
  const plainOrS3 = (sse === undefined || sse === 'AES256') && head.SSECustomerAlgorithm === undefined;
  if (plainOrS3 && MD5_HEX.test(etag)) return { verify: 'md5', digest: etag.toLowerCase() };
  for (const [verify, member, bytes] of CHECKSUMS) {
    const value = head[member];
    if (typeof value !== 'string' || value === '') continue;
    const fullObject = head.ChecksumType === 'FULL_OBJECT' || (head.ChecksumType === undefined && !value.includes('-'));
    const digest = Buffer.from(value, 'base64');
    if (fullObject && digest.length === bytes) return { verify, digest: digest.toString('hex') };
  }
  return { verify: 'size' };
}

/** Whether the object must be restored before it can be read. */
export function isArchived(head: HeadObjectCommandOutput): boolean {
  const archived = ARCHIVE_CLASSES.has(head.StorageClass ?? '') || head.ArchiveStatus !== undefined;
  return archived && !/ongoing-request="false"/.test(head.Restore ?? '');
}

function headError(where: string, key: string, error: unknown): S3SourceError {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  const why =
    status === 400
      ? 'S3 answered 400: an object encrypted with a customer-provided key (SSE-C) cannot be read without that key, ' +
        'which efsync does not take. Copy it with SSE-S3 or SSE-KMS encryption.'
      : status === 403 || name === 'AccessDenied'
        ? 'access denied: the role needs s3:GetObject on the source objects.'
        : status === 404 || name === 'NotFound'
          ? 'it is gone: it was deleted since the listing. Run again.'
          : `${name ?? 'Error'}: ${(error as Error).message}`;
  return new S3SourceError(`Cannot read ${where}${key}: ${why}`);
}

/** The check of each object to fetch, by path; refuses archived objects that are not restored, naming them. */
export async function inspectObjects(
  s3: S3Client,
  source: S3Location,
  objects: readonly ObjectToFetch[],
): Promise<Map<string, ObjectCheck>> {
  const where = `s3://${source.bucket}/`;
  const heads = await mapLimit(objects, HEAD_CONCURRENCY, async (object) => {
    try {
      return await s3.send(new HeadObjectCommand({ Bucket: source.bucket, Key: object.key, ChecksumMode: 'ENABLED' }));
    } catch (error) {
      throw headError(where, object.key, error);
    }
  });
  const archived = objects.filter((_, i) => isArchived(heads[i] as HeadObjectCommandOutput)).map((o) => o.key);
  if (archived.length > 0) {
    const shown = archived.slice(0, ARCHIVED_SHOWN).map((key) => JSON.stringify(key));
    const more = archived.length > ARCHIVED_SHOWN ? ` and ${archived.length - ARCHIVED_SHOWN} more` : '';
    throw new S3SourceError(
      `S3 source objects are archived and not restored: ${shown.join(', ')}${more} (${archived.length} in all, ` +
        `in s3://${source.bucket}). No instance was started. Restore each one, e.g. ` +
        `aws s3api restore-object --bucket ${source.bucket} --key KEY --restore-request Days=7 ` +
        `(GLACIER, DEEP_ARCHIVE) or --restore-request '{}' (an Intelligent-Tiering archive tier), wait until ` +
        'aws s3api head-object shows Restore: ongoing-request="false", then run again; or copy them to a storage ' +
        'class that is read at once.',
    );
  }
  return new Map(objects.map((o, i) => [o.path, chooseCheck(o.etag, heads[i] as HeadObjectCommandOutput)]));
}
