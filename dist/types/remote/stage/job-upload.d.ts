import { type S3Client } from '@aws-sdk/client-s3';
import type { JobManifest, ReleaseFile } from '../protocol.js';
/** The most files a chunk holds: about 2 MB with S3-object URLs, parsed by the agent in a few MB of memory. */
export declare const JOB_CHUNK_FILES = 1000;
/** The most bytes a chunk holds (long paths): a chunk closes before a line would take it past this. */
export declare const JOB_CHUNK_BYTES: number;
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
export declare function uploadJob<Job extends JobManifest>(s3: S3Client, options: {
    bucket: string;
    key: string;
    job: Job;
    chunks?: JobChunks;
}): Promise<{
    sha256: string;
    size: number;
    chunks: number;
}>;
/**
 * The files split into runs of at most `maxFiles` files and `maxBytes` bytes of JSON Lines (a single longer line
 * makes a chunk of its own), in order.
 */
export declare function chunkSpans(files: readonly ReleaseFile[], maxFiles?: number, maxBytes?: number): Span[];
/** A chunk's body: one ReleaseFile JSON a line, each line ended by '\n'. */
export declare function chunkBody(files: readonly ReleaseFile[], span: Span): Buffer;
export {};
