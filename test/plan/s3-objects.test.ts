import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { chooseCheck, inspectObjects, isArchived } from '../../src/plan/s3-objects.js';
import { S3SourceError } from '../../src/plan/s3-source.js';

const MD5 = '0123456789abcdef0123456789abcdef';
const head = (h: Partial<HeadObjectCommandOutput>) => ({ $metadata: {}, ...h }) as HeadObjectCommandOutput;
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

describe('chooseCheck', () => {
  it('takes the ETag as MD5 for single-part objects, unencrypted or SSE-S3', () => {
    expect(chooseCheck(MD5, head({}))).toEqual({ verify: 'md5', digest: MD5 });
    expect(chooseCheck(MD5, head({ ServerSideEncryption: 'AES256' }))).toEqual({ verify: 'md5', digest: MD5 });
  });

  it('never takes the ETag of an SSE-KMS, DSSE-KMS or SSE-C object, nor a multipart ETag', () => {
    expect(chooseCheck(MD5, head({ ServerSideEncryption: 'aws:kms' }))).toEqual({ verify: 'size' });
    expect(chooseCheck(MD5, head({ ServerSideEncryption: 'aws:kms:dsse' }))).toEqual({ verify: 'size' });
    expect(chooseCheck(MD5, head({ SSECustomerAlgorithm: 'AES256' }))).toEqual({ verify: 'size' });
    expect(chooseCheck(`${MD5}-3`, head({}))).toEqual({ verify: 'size' });
  });

  it('takes a full-object checksum, as hex, preferring the standard library digests', () => {
    const crc64 = 'ae8b14860a799888';
    const kms = { ServerSideEncryption: 'aws:kms' as const, ChecksumType: 'FULL_OBJECT' as const };
    expect(chooseCheck(MD5, head({ ...kms, ChecksumCRC64NVME: b64(crc64) }))).toEqual({
      verify: 'crc64nvme',
      digest: crc64,
    });
    expect(chooseCheck(MD5, head({ ...kms, ChecksumCRC64NVME: b64(crc64), ChecksumCRC32: b64('cbf43926') }))).toEqual({
      verify: 'crc32',
      digest: 'cbf43926',
    });
  });

  it('skips a composite checksum and one of the wrong length', () => {
    const kms = { ServerSideEncryption: 'aws:kms' as const };
    expect(chooseCheck(MD5, head({ ...kms, ChecksumType: 'COMPOSITE', ChecksumSHA256: b64('ab'.repeat(32)) }))).toEqual(
      {
        verify: 'size',
      },
    );
    expect(chooseCheck(MD5, head({ ...kms, ChecksumSHA256: `${b64('ab'.repeat(32))}-2` }))).toEqual({ verify: 'size' });
    expect(chooseCheck(MD5, head({ ...kms, ChecksumCRC64NVME: b64('cbf43926') }))).toEqual({ verify: 'size' });
  });
});

describe('isArchived', () => {
  it('is GLACIER, DEEP_ARCHIVE or an Intelligent-Tiering archive tier, unless a restored copy exists', () => {
    expect(isArchived(head({ StorageClass: 'GLACIER' }))).toBe(true);
    expect(isArchived(head({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' }))).toBe(true);
    expect(isArchived(head({ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' }))).toBe(true);
    const restored = 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"';
    expect(isArchived(head({ StorageClass: 'GLACIER', Restore: restored }))).toBe(false);
    expect(isArchived(head({ StorageClass: 'GLACIER_IR' }))).toBe(false);
    expect(isArchived(head({ StorageClass: 'INTELLIGENT_TIERING' }))).toBe(false);
  });
});

describe('inspectObjects', () => {
  const client = (heads: Record<string, Partial<HeadObjectCommandOutput>>) =>
    ({
      send: async (command: { input: { Key: string } }) => head(heads[command.input.Key] ?? {}),
    }) as unknown as S3Client;

  it('refuses archived objects, naming the first five and the count, with the restore command', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `m/${i}.bin`);
    const s3 = client(Object.fromEntries(keys.map((k) => [k, { StorageClass: 'GLACIER' }])));
    const objects = keys.map((key) => ({ path: key.slice(2), key, etag: MD5 }));
    const error = await inspectObjects(s3, { bucket: 'b', prefix: 'm/' }, objects).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3SourceError);
    expect((error as Error).message).toMatch(
      /^S3 source objects are archived and not restored: "m\/0.bin", .*"m\/4.bin" and 2 more \(7 in all, in s3:\/\/b\)\. No instance was started\..*aws s3api restore-object --bucket b --key KEY/,
    );
  });

  it('gives each object its check, by path', async () => {
    const s3 = client({ 'm/a': { ServerSideEncryption: 'aws:kms' }, 'm/b': {} });
    const checks = await inspectObjects(s3, { bucket: 'b', prefix: 'm/' }, [
      { path: 'a', key: 'm/a', etag: MD5 },
      { path: 'b', key: 'm/b', etag: MD5 },
    ]);
    expect([...checks]).toEqual([
      ['a', { verify: 'size' }],
      ['b', { verify: 'md5', digest: MD5 }],
    ]);
  });
});
