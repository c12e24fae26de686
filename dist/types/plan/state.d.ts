/**
 * The last published state of a target, kept in the staging bucket. It is what the next run diffs against, so a
 * state that cannot be trusted stops the run rather than produce a wrong diff.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { EfsyncError } from '../core/errors.js';
import { type PublishedState } from '../core/published.js';
export declare class StateError extends EfsyncError {
}
export declare function readPublishedState(s3: S3Client, bucket: string, key: string): Promise<PublishedState | undefined>;
export declare function writePublishedState(s3: S3Client, bucket: string, key: string, state: PublishedState): Promise<void>;
