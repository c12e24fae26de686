/**
 * Uploads the job manifest the agent runs. The bootstrap downloads it by presigned URL and checks its sha256 before
 * it runs anything, so the hash returned here is of exactly the bytes sent.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobManifest } from '../core/protocol.js';

export async function uploadJob(
  s3: S3Client,
  options: { bucket: string; key: string; job: JobManifest },
): Promise<{ sha256: string; size: number }> {
  // One buffer, hashed and sent as is: no re-serialisation between hashing and upload.
  const body = Buffer.from(JSON.stringify(options.job), 'utf8');
  await s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: options.key,
      Body: body,
      ContentLength: body.length,
      ContentType: 'application/json',
    }),
  );
  return { sha256: createHash('sha256').update(body).digest('hex'), size: body.length };
}
