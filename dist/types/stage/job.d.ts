import { type S3Client } from '@aws-sdk/client-s3';
import type { JobManifest } from '../core/protocol.js';
export declare function uploadJob(s3: S3Client, options: {
    bucket: string;
    key: string;
    job: JobManifest;
}): Promise<{
    sha256: string;
    size: number;
}>;
