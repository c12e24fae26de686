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
import { type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../config/types.js';
import type { ObjectCheck } from '../core/tree.js';
export declare const HEAD_CONCURRENCY = 16;
/** How many archived keys the error names; the count says how many there are in all. */
export declare const ARCHIVED_SHOWN = 5;
export interface ObjectToFetch {
    /** The file's path below the target. */
    path: string;
    key: string;
    /** The ETag the listing gave, without quotes. */
    etag: string;
}
/** How an object can be verified, from its ETag and its HeadObject. */
export declare function chooseCheck(etag: string, head: HeadObjectCommandOutput): ObjectCheck;
/** Whether the object must be restored before it can be read. */
export declare function isArchived(head: HeadObjectCommandOutput): boolean;
/** The check of each object to fetch, by path; refuses archived objects that are not restored, naming them. */
export declare function inspectObjects(s3: S3Client, source: S3Location, objects: readonly ObjectToFetch[]): Promise<Map<string, ObjectCheck>>;
