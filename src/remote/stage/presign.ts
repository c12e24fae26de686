/**
 * Presigned URLs for the instance, which has no AWS credentials of its own for the staging bucket. The URLs are
 * secrets (anyone holding one can read or write the object until it expires): callers mask them and never log them.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AbsoluteLocation, BuildHandlerOptions, BuildMiddleware } from '@aws-sdk/types';
import type { Reporter } from '../../core/reporter.js';

/** SigV4 query signatures are valid for at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

export async function presignGet(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string> {
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  command.middlewareStack.add(withoutChecksums(), WITHOUT_CHECKSUMS);
  return getSignedUrl(s3, command, { expiresIn: await withinSession(s3, lifetime(expiresInSeconds)) });
}

export async function presignPut(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string> {
  const command = new PutObjectCommand({ Bucket: bucket, Key: key });
  command.middlewareStack.add(withoutChecksums(), WITHOUT_CHECKSUMS);
  return getSignedUrl(s3, command, { expiresIn: await withinSession(s3, lifetime(expiresInSeconds)) });
}

/**
 * Every form in which a presigned URL's secret parts can be printed: the whole URL, its signature, and its session
 * token both as it stands in the query (URL-encoded) and decoded. The runner masks each value only as written, so
 * each form is a value of its own.
 */
export function presignedSecrets(url: string): string[] {
  const forms = new Set<string>([url]);
  const query = url.slice(url.indexOf('?') + 1);
  for (const pair of query.split('&')) {
    const [name = '', raw = ''] = pair.split('=', 2);
    if (name !== 'X-Amz-Signature' && name !== 'X-Amz-Security-Token') continue;
    forms.add(raw);
    forms.add(decode(raw));
    forms.add(encodeURIComponent(decode(raw)));
  }
  forms.delete('');
  return [...forms];
}

/** Masks a presigned URL in every form (presignedSecrets) from all later log lines. */
export function maskPresigned(reporter: Reporter, url: string): void {
  for (const form of presignedSecrets(url)) reporter.secret(form);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function lifetime(expiresInSeconds: number): number {
  if (!Number.isFinite(expiresInSeconds) || expiresInSeconds < 1) {
    throw new Error(`A presigned URL needs a lifetime of at least 1 second, not ${expiresInSeconds}.`);
  }
  return Math.min(Math.floor(expiresInSeconds), MAX_PRESIGN_SECONDS);
}

/**
 * A URL signed with temporary credentials stops working when their session expires, even with a longer
 * X-Amz-Expires (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html, "Who can create a
 * presigned URL": IAM role credentials), so none is signed for longer. The
 * client's provider renews credentials within five minutes of their expiration, before they sign.
 */
async function withinSession(s3: S3Client, seconds: number): Promise<number> {
  const identity = await s3.config.credentials();
  if (!identity.expiration) return seconds;
  const left = Math.floor((identity.expiration.getTime() - Date.now()) / 1000);
  return Math.max(1, Math.min(seconds, left));
}

/** Runs after the SDK's checksum middleware (same build step, lower priority) and before the presigner. */
const WITHOUT_CHECKSUMS: BuildHandlerOptions & AbsoluteLocation = {
  step: 'build',
  priority: 'low',
  name: 'efsyncPresignWithoutChecksums',
};

// The SDK's default checksums would sign the CRC32 of the body known at signing time, the empty one, into a PUT URL
// (x-amz-checksum-crc32=AAAAAA==), and S3 would then reject every real upload to it as a checksum mismatch. The
// agent verifies what it downloads and uploads by sha256 instead, so the checksum parameters are dropped.
function withoutChecksums<Input extends object, Output extends object>(): BuildMiddleware<Input, Output> {
  return (next) => async (args) => {
    const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete headers[name];
    }
    return next(args);
  };
}
