/**
 * Presigned URLs for the instance, which has no AWS credentials of its own for the staging bucket. The URLs are
 * secrets (anyone holding one can read or write the object until it expires): callers mask them and never log them.
 */
import { type S3Client } from '@aws-sdk/client-s3';
/** SigV4 query signatures are valid for at most 7 days. */
export declare const MAX_PRESIGN_SECONDS: number;
export declare function presignGet(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string>;
export declare function presignPut(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string>;
