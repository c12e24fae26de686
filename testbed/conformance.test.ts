// The service-model check (conformance.ts): requests AWS would refuse are refused as AWS words it, valid ones pass,
// and the switch hands a request to moto unchecked.
import { DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client, type StorageClass } from '@aws-sdk/client-s3';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { frontConfig } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { checkRequest } from './conformance.ts';

let aws: LocalAws;
const via = () => frontConfig(aws, { maxAttempts: 1 });

beforeAll(async () => {
  aws = await startLocalAws();
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

describe('requests the service model forbids', () => {
  it('SSM: TimeoutSeconds below 30 is a ValidationException, as AWS words it', async () => {
    // botocore ssm service-2.json: TimeoutSeconds {"type":"integer","max":2592000,"min":30}.
    await expect(
      new SSMClient(via()).send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: ['i-0123456789abcdef0'],
          TimeoutSeconds: 10,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '10' at 'timeoutSeconds' failed to satisfy constraint: Member must have value greater than or equal to 30",
      $metadata: { httpStatusCode: 400 },
    });
    const [entry] = await aws.log();
    expect(entry).toMatchObject({ operation: 'SendCommand', status: 400, answeredBy: 'testbed', check: 'refused' });
  });

  it('EFS: MaxItems 0 in the query string is a ValidationException; MaxItems 1 passes to moto', async () => {
    // botocore efs service-2.json: MaxItems {"type":"integer","min":1}, location querystring.
    const efs = new EFSClient(via());
    await expect(efs.send(new DescribeFileSystemsCommand({ MaxItems: 0 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("Value '0' at 'maxItems' failed to satisfy constraint"),
    });
    await expect(efs.send(new DescribeFileSystemsCommand({ MaxItems: 1 }))).resolves.toBeDefined();
    expect((await aws.log()).map((e) => [e.check, e.answeredBy])).toEqual([
      ['refused', 'testbed'],
      ['checked', 'moto'],
    ]);
  });

  it('EC2: an instance type not in the InstanceType enum is InvalidParameterValue; a known one passes', async () => {
    const ec2 = new EC2Client(via());
    await expect(
      ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t4g.gigantic' as 't4g.small'] })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Value (t4g.gigantic) for parameter instanceTypes.1 is invalid'),
    });
    const known = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t4g.small'] }));
    expect(known.InstanceTypes?.[0]?.InstanceType).toBe('t4g.small');
  });

  it('IAM and STS: a string over its maximum length and a duration below its minimum are ValidationErrors', async () => {
    // botocore iam service-2.json: roleNameType max 64; sts: roleDurationSecondsType min 900.
    await expect(new IAMClient(via()).send(new GetRoleCommand({ RoleName: 'r'.repeat(65) }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('Member must have length less than or equal to 64'),
    });
    await expect(
      new STSClient(via()).send(
        new AssumeRoleCommand({ RoleArn: aws.info.roleArn, RoleSessionName: 'efsync', DurationSeconds: 100 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining("Value '100' at 'durationSeconds'"),
    });
  });

  it('S3: a header member outside its enum is InvalidArgument', async () => {
    const s3 = new S3Client({ ...via(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'conformance' }));
    await expect(
      s3.send(
        new PutObjectCommand({ Bucket: 'conformance', Key: 'k', Body: 'x', StorageClass: 'COLDEST' as StorageClass }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.stringContaining('storageClass') });
    await expect(s3.send(new PutObjectCommand({ Bucket: 'conformance', Key: 'k', Body: 'x' }))).resolves.toBeDefined();
  });
});

describe('the switch and what cannot be decoded', () => {
  it('with conformance off, the same request reaches moto and is logged as not checked', async () => {
    await aws.settings({ conformance: false });
    try {
      await new EFSClient(via()).send(new DescribeFileSystemsCommand({ MaxItems: 0 })).catch(() => undefined);
      const [entry] = await aws.log();
      expect(entry).toMatchObject({ operation: 'DescribeFileSystems', answeredBy: 'moto', check: 'off' });
    } finally {
      await aws.settings({ conformance: true });
    }
  });

  it('a request no operation of the model matches is not refused but marked unchecked', () => {
    const url = new URL('http://front/2015-02-01/no-such-resource');
    expect(checkRequest('elasticfilesystem', 'rest-json', 'GET', url, {}, Buffer.alloc(0))).toMatchObject({
      status: 'unchecked',
    });
    const form = Buffer.from('Action=NoSuchAction&Version=2016-11-15');
    expect(checkRequest('ec2', 'ec2', 'POST', new URL('http://front/'), {}, form)).toMatchObject({
      status: 'unchecked',
    });
  });
});
