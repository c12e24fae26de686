/**
 * The tree of an S3 prefix, from listings only: no object is read on the runner. Files carry the ETag, which changes
 * whenever an object is rewritten with other content, so an unchanged model is never fetched again.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import type { Tree } from '../core/tree.js';
export declare class S3SourceError extends EfsyncError {
}
/**
 * The path a key is written to below the target. Keys are free text in S3 but become paths on EFS, so anything that
 * could land outside the target or collapse onto another path is refused.
 */
export declare function relativeKeyPath(key: string, prefix: string): string;
export declare function listS3Tree(s3: S3Client, source: S3Location, options?: {
    pageSize?: number;
}): Promise<Tree>;
