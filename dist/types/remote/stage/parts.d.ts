import type { S3Client } from '@aws-sdk/client-s3';
import type { FileEntry } from '../../core/tree.js';
export interface PackInput {
    target: string;
    /** Absolute directory on the runner that the files' relative paths start from. */
    root: string;
    /** The changed files, each with its planned sha256. */
    files: FileEntry[];
}
export interface StagedPartInfo {
    name: string;
    key: string;
    size: number;
    sha256: string;
}
export interface StageResult {
    parts: StagedPartInfo[];
    /** target → path → where the agent finds the file's content. */
    members: Map<string, Map<string, {
        part: string;
        member: string;
    }>>;
    /** Tar bytes sent to S3: file bytes plus headers and padding. */
    bytesUploaded: number;
    filesPacked: number;
}
export interface StageOptions {
    bucket: string;
    /** e.g. 'efsync/runs/<run-id>/'; parts are stored as <runPrefix>part-0001.tar. */
    runPrefix: string;
    inputs: PackInput[];
    /** Upper bound of a part's bytes, unless a single file needs more. Default PART_SIZE. */
    partSize?: number;
    /** Parts uploaded at once, and requests in flight per part. Default 4. */
    concurrency?: number;
    /** Tar bytes uploaded so far, of the total. */
    onProgress?: (done: number, total: number) => void;
}
/** A part's bytes at most, unless a single file needs more: more parts upload side by side. */
export declare const PART_SIZE: number;
/** The bytes of each part stageParts would pack these files into: the same rule, with no file read or checked. */
export declare function partSizes(inputs: {
    target: string;
    files: FileEntry[];
}[], partSize?: number): number[];
export declare function stageParts(s3: S3Client, options: StageOptions): Promise<StageResult>;
