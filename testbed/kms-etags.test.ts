// KMS-encrypted objects get ETags that are not the MD5 of their data, as on AWS (kms-etags.ts has the sources), the
// same in every answer about the object; unencrypted and SSE-S3 objects keep the MD5.
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5 } from '../test/support/hash.ts';
import { clients, createKmsKey } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { kmsEtag } from './kms-etags.ts';

let aws: LocalAws;
let s3: S3Client;
let keyArn: string;

beforeAll(async () => {
  aws = await startLocalAws();
  keyArn = await createKmsKey(aws);
  s3 = clients(aws).s3;
}, 60_000);
afterAll(() => aws?.stop());

const bare = (etag: string | undefined) => etag?.replace(/"/g, '');

/** The ETag of one object as PutObject, ListObjectsV2 (with and without encoding-type=url), HeadObject and GetObject give it. */
async function etags(key: string, data: string, sse?: ServerSideEncryption) {
  const Bucket = aws.info.sourceBucket;
  const put = await s3.send(
    new PutObjectCommand({
      Bucket,
      Key: key,
      Body: data,
      ...(sse && { ServerSideEncryption: sse }),
      ...(sse?.startsWith('aws:kms') && { SSEKMSKeyId: keyArn }),
    }),
  );
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: key }));
  const encoded = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: key, EncodingType: 'url' }));
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
  expect(await got.Body?.transformToString()).toBe(data);
  return {
    encryption: head.ServerSideEncryption,
    put: bare(put.ETag),
    list: bare(listed.Contents?.find((o) => o.Key === key)?.ETag),
    listEncoded: bare(encoded.Contents?.[0]?.ETag),
    head: bare(head.ETag),
    get: bare(got.ETag),
  };
}

describe('ETags of encrypted objects', { timeout: 60_000 }, () => {
  it.each([
    ['aws:kms', 'kms/a b+c €.bin'],
    ['aws:kms:dsse', 'dsse/model.bin'],
  ] as const)(
    '%s: not the MD5 of the data, the same in PutObject, listings, HeadObject and GetObject',
    async (sse, key) => {
      const data = `weights of ${key}\n`;
      const seen = await etags(key, data, sse);
      expect(seen.encryption).toBe(sse);
      expect(seen.put).toMatch(/^[0-9a-f]{32}$/);
      expect(seen.put).not.toBe(md5(data));
      expect(seen).toEqual({
        encryption: sse,
        put: seen.put,
        list: seen.put,
        listEncoded: seen.put,
        head: seen.put,
        get: seen.put,
      });
      // New data, new ETag, as S3 gives every new object version one.
      const again = await etags(key, `${data}more\n`, sse);
      expect(again.put).not.toBe(seen.put);
      expect(again.list).toBe(again.put);
    },
  );

  it.each([
    [undefined, 'plain/a.txt'],
    ['AES256', 'sse-s3/a.txt'],
  ] as const)('%s: the MD5 of the data everywhere', async (sse, key) => {
    const data = `plain ${key}\n`;
    const seen = await etags(key, data, sse);
    expect(seen).toEqual({
      encryption: sse,
      put: md5(data),
      list: md5(data),
      listEncoded: md5(data),
      head: md5(data),
      get: md5(data),
    });
  });

  it('a KMS multipart object keeps the parts suffix, and a copy into KMS gets a KMS ETag', async () => {
    const Bucket = aws.info.sourceBucket;
    const Key = 'kms/multipart.bin';
    const upload = await s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key, UploadId: upload.UploadId, PartNumber: 1, Body: 'only part\n' }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(bare(done.ETag)).toMatch(/^[0-9a-f]{32}-1$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(bare(head.ETag)).toBe(bare(done.ETag));

    const plain = await s3.send(new PutObjectCommand({ Bucket, Key: 'plain/source.txt', Body: 'copy me\n' }));
    expect(bare(plain.ETag)).toBe(md5('copy me\n'));
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'kms/copy.txt',
        CopySource: `${Bucket}/plain/source.txt`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyArn,
      }),
    );
    const copied = bare(copy.CopyObjectResult?.ETag);
    expect(copied).toBe(kmsEtag(Bucket, 'kms/copy.txt', md5('copy me\n')));
    expect(bare((await s3.send(new HeadObjectCommand({ Bucket, Key: 'kms/copy.txt' }))).ETag)).toBe(copied);
  });
});

describe('archived objects', { timeout: 60_000 }, () => {
  it.each(['GLACIER', 'DEEP_ARCHIVE'] as const)(
    '%s: HeadObject shows the storage class, GetObject is refused with InvalidObjectState (403), as on S3',
    async (StorageClass) => {
      // GetObject: "If the object you are retrieving is stored in the S3 Glacier Flexible Retrieval storage class, the
      // S3 Glacier Deep Archive storage class ... you must first restore a copy ... Otherwise, this operation returns
      // an InvalidObjectState error" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); moto does so.
      const Bucket = aws.info.sourceBucket;
      const Key = `archive/${StorageClass}.bin`;
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'cold\n', StorageClass }));
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key }))).StorageClass).toBe(StorageClass);
      const refused = await s3.send(new GetObjectCommand({ Bucket, Key })).then(
        () => undefined,
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => [error.name, error.$metadata?.httpStatusCode],
      );
      expect(refused).toEqual(['InvalidObjectState', 403]);
    },
  );
});
