// S3 sources as S3 stores them: objects encrypted with SSE-KMS or DSSE-KMS, whose ETag is not the MD5 of their data
// (botocore's s3 service-2.json, Object.ETag; the test bed rewrites moto's MD5 ETags as AWS gives them,
// testbed/kms-etags.ts), and objects archived in GLACIER or DEEP_ARCHIVE, which a GET refuses with
// InvalidObjectState until they are restored (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html;
// moto keeps the storage class PutObject asks for, shows it in HeadObject's x-amz-storage-class and refuses the GET the
// same way). An encrypted source publishes byte for byte; an archived object fails the run in planning, naming its key,
// before any instance is launched.
import fs from 'node:fs';
import path from 'node:path';
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tree } from '../../src/core/tree.ts';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { md5 } from '../support/hash.ts';
import { clients, createKmsKey, motoClients, motoConfig } from '../support/local-aws.ts';
import { expectClean, printTable, record, served } from './fault-harness.ts';
import { makeWorkspace, readTree, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let keyArn: string;
let workspace: string;
const PREFIX = 'encrypted/';
const TARGET = 'encrypted';

/** The source objects: SSE-KMS, DSSE-KMS (each with the checksum the SDK adds, and one without any), and plain. */
const OBJECTS: Record<string, { body: Buffer; put: Partial<PutObjectCommandInput>; noChecksum?: boolean }> = {
  'kms.bin': { body: Buffer.from('weights under SSE-KMS\n'.repeat(4000)), put: { ServerSideEncryption: 'aws:kms' } },
  'dsse/model.bin': { body: Buffer.from('weights under DSSE-KMS\n'), put: { ServerSideEncryption: 'aws:kms:dsse' } },
  'kms-no-checksum.bin': {
    body: Buffer.from('only its size can be checked\n'),
    put: { ServerSideEncryption: 'aws:kms' },
    noChecksum: true,
  },
  'plain.txt': { body: Buffer.from('plain\n'), put: {} },
};

function moto(noChecksum = false): S3Client {
  const { s3 } = motoClients(aws);
  if (!noChecksum) return s3;
  // Without the SDK's default CRC32: an object S3 keeps no checksum for, as one uploaded by an older client.
  return new S3Client({ ...motoConfig(aws), forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
}

async function put(key: string, body: Buffer | string, extra: Partial<PutObjectCommandInput> = {}, plain = false) {
  const kms = extra.ServerSideEncryption?.startsWith('aws:kms') ? { SSEKMSKeyId: keyArn } : {};
  // Straight to moto, as the owner of the bucket would: the request log stays the action's own.
  await moto(plain).send(
    new PutObjectCommand({ Bucket: aws.info.sourceBucket, Key: `${PREFIX}${key}`, Body: body, ...kms, ...extra }),
  );
}

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  keyArn = await createKmsKey(aws);
  // The stack deployed for an SSE-KMS source names its key (SourceKmsKeyArn), which grants the action role kms:Decrypt
  // through S3: without it, AWS (and the bed's IAM evaluation) refuses the GETs.
  await aws.updateStack(aws.info.stackName, { SourceKmsKeyArn: keyArn });
  workspace = makeWorkspace({});
  for (const [key, object] of Object.entries(OBJECTS)) await put(key, object.body, object.put, object.noChecksum);
}, 60_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-s3-sources');
  await aws?.stop();
});

const INPUTS = () => ({
  's3-source': `s3://${aws.info.sourceBucket}/${PREFIX}`,
  's3-target': TARGET,
  'timeout-minutes': '5',
});

describe('S3 sources', { timeout: 180_000 }, () => {
  it('SSE-KMS and DSSE-KMS objects, whose ETags are not MD5s, publish byte for byte', async () => {
    // The ETags S3 shows, as the action lists them: not the MD5 of the data for the KMS-encrypted objects.
    const listed = await clients(aws).s3.send(
      new ListObjectsV2Command({ Bucket: aws.info.sourceBucket, Prefix: PREFIX }),
    );
    const etags = Object.fromEntries(
      (listed.Contents ?? []).map((o) => [o.Key?.slice(PREFIX.length), o.ETag?.replace(/"/g, '')]),
    );
    for (const [key, object] of Object.entries(OBJECTS)) {
      const kms = object.put.ServerSideEncryption !== undefined;
      expect(etags[key], key).toMatch(/^[0-9a-f]{32}$/);
      if (kms) expect(etags[key], `${key}: a KMS ETag is not the MD5 of the data`).not.toBe(md5(object.body));
      else expect(etags[key], key).toBe(md5(object.body));
    }

    await aws.reset();
    const step = await runAction(aws, workspace, INPUTS());
    expect(record('s3', 'SSE-KMS and DSSE-KMS objects', 'published', step), step.stdout.slice(-3000)).toBe('published');
    const root = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
    const tree = readTree(path.join(root, TARGET));
    expect(tree).toEqual(Object.fromEntries(Object.entries(OBJECTS).map(([key, o]) => [key, o.body])));
    // The release's manifest says how each object was verified: never a KMS ETag as an MD5; S3's checksum (the SDK
    // adds a CRC32 to every PutObject), else the size.
    const manifest = JSON.parse(
      fs.readFileSync(path.join(root, `${fs.readlinkSync(path.join(root, TARGET)).replace(/\/$/, '')}.json`), 'utf8'),
    ) as Tree;
    expect(Object.fromEntries(manifest.files.map((f) => [f.path, f.verified]))).toEqual({
      'dsse/model.bin': 'crc32',
      'kms-no-checksum.bin': 'size',
      'kms.bin': 'crc32',
      'plain.txt': 'md5',
    });
    await expectClean(aws, [step, step.post], TARGET);
  });

  it.each([
    ['GLACIER', 'archive/cold.bin'],
    ['DEEP_ARCHIVE', 'archive/deep cold.bin'],
  ] as const)(
    'an object in %s fails the run in planning, naming its key, before any instance',
    async (storage, key) => {
      const intact = served(aws, TARGET);
      await put(key, 'archived weights\n', { StorageClass: storage as StorageClass });
      await aws.reset();
      const step = await runAction(aws, workspace, INPUTS());
      const observed = record('s3', `an object in ${storage}`, 'failed in planning, names the key', step);
      expect(observed, step.stdout.slice(-3000)).toMatch(/^failed \(exit 1, 1 error\)/);
      const error = step.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
      expect(error).toContain(`S3 source objects are archived and not restored: "${PREFIX}${key}"`);
      expect(error).toContain('No instance was started');
      expect(error).toContain('aws s3api restore-object');
      const log = await aws.log();
      expect(log.filter((e) => e.service === 'ec2' && e.operation === 'RunInstances')).toEqual([]);
      expect(log.filter((e) => e.service === 'ssm' && e.operation === 'SendCommand')).toEqual([]);
      await expectClean(aws, [step, step.post], TARGET, intact);
      // Out of the way for the next case: the archived object is deleted again.
      await moto().send(new DeleteObjectCommand({ Bucket: aws.info.sourceBucket, Key: `${PREFIX}${key}` }));
    },
  );
});
