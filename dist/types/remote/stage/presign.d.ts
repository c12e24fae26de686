/**
 * Presigned URLs for the instance, which has no AWS credentials of its own for the staging bucket. The URLs are
 * secrets (anyone holding one can read or write the object until it expires): callers mask them and never log them.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import type { Reporter } from '../../core/reporter.js';
/** SigV4 query signatures are valid for at most 7 days. */
export declare const MAX_PRESIGN_SECONDS: number;
export declare function presignGet(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string>;
export declare function presignPut(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string>;
/**
 * Every form in which a presigned URL's secret parts can be printed: the whole URL, its signature, and its session
 * token both as it stands in the query (URL-encoded) and decoded. The runner masks each value only as written, so
 * each form is a value of its own.
 */
export declare function presignedSecrets(url: string): string[];
/** Masks a presigned URL in every form (presignedSecrets) from all later log lines. */
export declare function maskPresigned(reporter: Reporter, url: string): void;
