/**
 * The staging objects of runs: reading one back, deleting a run's objects at cleanup, and listing runs for the sweep
 * that removes those a crashed run left behind. Cleanup runs from main's finally, the signal handler and the post
 * step, possibly more than once, so deleting is idempotent.
 */
import { type S3Client } from '@aws-sdk/client-s3';
export interface RunPrefix {
    runId: string;
    /** e.g. 'efsync/runs/<run-id>/', as deleteRunObjects takes it. */
    prefix: string;
    /** The newest object's LastModified, or the newest unfinished multipart upload's start. */
    lastModified: Date;
    /** Objects and unfinished multipart uploads under the prefix. */
    objects: number;
}
/** Deletes every object under runPrefix and aborts its unfinished multipart uploads; returns the objects deleted. */
export declare function deleteRunObjects(s3: S3Client, bucket: string, runPrefix: string): Promise<number>;
/** The object's text, or undefined when there is no such object. */
export declare function readRunObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined>;
/** The runs under '<prefix>runs/', oldest first, each with its newest object's time. */
export declare function listRunPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<RunPrefix[]>;
