// The front: routing to moto, presigned S3, OIDC → STS, faults of every kind, and the request log.
import fs from 'node:fs';
import path from 'node:path';
import { CreateVpcCommand, DescribeInstancesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateFileSystemCommand, DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clients,
  frontConfig,
  launch,
  launchOnline,
  motoConfig,
  sendScript,
  waitDone,
} from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';

let aws: LocalAws;
let instanceId: string;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '500']);
  // Its cases leave instances running side by side, past AWS's default Standard quota of 5 vCPUs: this account has
  // raised it (quotas.ts).
  await aws.settings({ vcpuQuotas: { standard: 64 } });
  instanceId = await launchOnline(aws);
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

const viaFront = () => frontConfig(aws);
const viaMoto = () => motoConfig(aws);

/** A token from the test bed's OIDC endpoint, as a job's ACTIONS_ID_TOKEN_REQUEST_URL answers it. */
const token = async (audience: string, bearer = aws.info.oidcToken) =>
  fetch(`${aws.info.oidcUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${bearer}` },
  });

/** AssumeRoleWithWebIdentity of the action role through the front, as configure-aws-credentials calls it. */
const assume = (WebIdentityToken: string, RoleSessionName = 'efsync') =>
  new STSClient({ endpoint: aws.info.endpoint, region: aws.info.region, maxAttempts: 1 }).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: aws.info.roleArn,
      RoleSessionName,
      WebIdentityToken,
      DurationSeconds: 900,
    }),
  );

describe('routing', () => {
  it('S3, EC2 and EFS calls through the front are answered by moto: what they create is read straight from moto', async () => {
    await new S3Client({ ...viaFront(), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: 'routed-bucket' }),
    );
    const vpc = await new EC2Client(viaFront()).send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }));
    const fsys = await new EFSClient(viaFront()).send(new CreateFileSystemCommand({ CreationToken: 'routed' }));

    const buckets = await new S3Client({ ...viaMoto(), forcePathStyle: true }).send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toContain('routed-bucket');
    const vpcs = await new EC2Client(viaMoto()).send(new DescribeVpcsCommand({ VpcIds: [vpc.Vpc?.VpcId ?? ''] }));
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe('10.99.0.0/16');
    const systems = await new EFSClient(viaMoto()).send(
      new DescribeFileSystemsCommand({ FileSystemId: fsys.FileSystemId }),
    );
    expect(systems.FileSystems?.[0]?.CreationToken).toBe('routed');

    const log = await aws.log();
    expect(log.map((e) => [e.service, e.operation, e.answeredBy])).toEqual([
      ['s3', 'CreateBucket', 'moto'],
      ['ec2', 'CreateVpc', 'moto'],
      ['elasticfilesystem', 'CreateFileSystem', 'moto'],
    ]);
  });

  it('answers SSM Run Command itself, and leaves SSM parameters to moto', async () => {
    const { ssm } = clients(aws);
    await ssm.send(new DescribeInstanceInformationCommand({}));
    await launch(aws);
    const log = await aws.log();
    expect(log.find((e) => e.operation === 'DescribeInstanceInformation')?.answeredBy).toBe('testbed');
    expect(log.find((e) => e.operation === 'GetParameter')?.answeredBy).toBe('moto');
    expect(log.find((e) => e.operation === 'RunInstances')).toMatchObject({
      service: 'ec2',
      answeredBy: 'moto',
      params: { InstanceType: 't3.small' },
    });
  });

  it('passes presigned S3 PUTs and GETs through to moto, routed by X-Amz-Credential', async () => {
    const s3 = new S3Client({ ...viaFront(), forcePathStyle: true });
    const key = 'presigned/file name+1.txt';
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: key }), {
      expiresIn: 300,
    });
    expect(new URL(put).searchParams.get('X-Amz-Credential')).toMatch(/\/s3\/aws4_request$/);
    expect((await fetch(put, { method: 'PUT', body: 'through the front' })).status).toBe(200);
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: aws.info.stagingBucket, Key: key }), {
      expiresIn: 300,
    });
    expect(await (await fetch(get)).text()).toBe('through the front');
    const direct = await new S3Client({ ...viaMoto(), forcePathStyle: true }).send(
      new GetObjectCommand({ Bucket: aws.info.stagingBucket, Key: key }),
    );
    expect(await direct.Body?.transformToString()).toBe('through the front');
    const log = await aws.log();
    expect(log.map((e) => [e.operation, e.params.Key, e.answeredBy])).toEqual([
      ['PutObject', key, 'moto'],
      ['GetObject', key, 'moto'],
    ]);
  });
});

describe('OIDC → STS', () => {
  it('issues a JWT with GitHub claims that STS exchanges for credentials moto knows', async () => {
    const res = await token('sts.amazonaws.com');
    expect(res.status).toBe(200);
    const { value } = (await res.json()) as { value: string };
    const claims = JSON.parse(Buffer.from(value.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ aud: 'sts.amazonaws.com', iss: 'https://token.actions.githubusercontent.com' });
    expect(claims.sub).toMatch(/^repo:[^/]+\/[^:]+:ref:refs\/heads\/main$/);
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);

    const assumed = await assume(value);
    const c = assumed.Credentials;
    const identity = await new STSClient({
      ...viaMoto(),
      credentials: {
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken ?? '',
      },
    }).send(new GetCallerIdentityCommand({}));
    // The action role deployed from infra/efsync.yaml: CloudFormation names it <stack>-ActionRole-<suffix>.
    expect(identity.Arn).toMatch(/assumed-role\/efsync-ActionRole-[0-9A-F]+\/efsync$/);
    expect((await aws.log()).find((e) => e.operation === 'AssumeRoleWithWebIdentity')?.answeredBy).toBe('moto');
  });

  it('refuses a wrong bearer token, a wrong audience, and a forged token', async () => {
    expect((await token('sts.amazonaws.com', 'wrong')).status).toBe(401);
    const other = ((await (await token('api://other')).json()) as { value: string }).value;
    await expect(assume(other)).rejects.toMatchObject({
      name: 'InvalidIdentityTokenException',
      message: expect.stringContaining('audience'),
    });
    const [head, body] = other.split('.');
    await expect(assume(`${head}.${body}.forged`)).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
  });
});

describe('role sessions', () => {
  it('refuses calls and presigned URLs signed with a session after its Expiration, as AWS does', async () => {
    // A deliberate scaling of time (faults.ts sessionSeconds): AWS's shortest session is 900 s.
    await aws.settings({ sessionSeconds: 2 });
    try {
      const { value } = (await (await token('sts.amazonaws.com')).json()) as { value: string };
      const assumed = await assume(value, 'short');
      const c = assumed.Credentials;
      const left = (c?.Expiration?.getTime() ?? 0) - Date.now();
      expect(left).toBeLessThanOrEqual(2000);
      const session = {
        endpoint: aws.info.endpoint,
        region: aws.info.region,
        maxAttempts: 1,
        credentials: {
          accessKeyId: c?.AccessKeyId ?? '',
          secretAccessKey: c?.SecretAccessKey ?? '',
          sessionToken: c?.SessionToken ?? '',
        },
      };
      await new S3Client({ ...viaFront(), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'sessions' }));
      const s3 = new S3Client({ ...session, forcePathStyle: true });
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'sessions', Key: 'k' }), { expiresIn: 600 });
      expect((await new STSClient(session).send(new GetCallerIdentityCommand({}))).Arn).toContain('short');
      await new Promise((r) => setTimeout(r, Math.max(0, left) + 100));

      await expect(new STSClient(session).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
        name: 'ExpiredToken',
        $metadata: { httpStatusCode: 403 },
      });
      await expect(new SSMClient(session).send(new DescribeInstanceInformationCommand({}))).rejects.toMatchObject({
        name: 'ExpiredTokenException',
        $metadata: { httpStatusCode: 403 },
      });
      const refused = await fetch(url);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('<Code>ExpiredToken</Code>');
      // Keys that moto issued and nobody shortened still work: the default credentials, for one.
      expect((await new STSClient(viaFront()).send(new GetCallerIdentityCommand({}))).Account).toBeTruthy();
    } finally {
      await aws.settings({ sessionSeconds: 0 });
    }
  });
});

describe('faults', () => {
  it('fails the nth call of an operation with a retryable code; the SDK retries and succeeds', async () => {
    await aws.fault({ service: 'ec2', operation: 'DescribeInstances', code: 'RequestLimitExceeded' });
    const out = await new EC2Client({ ...viaFront(), maxAttempts: 3 }).send(new DescribeInstancesCommand({}));
    expect(out.Reservations?.length).toBeGreaterThan(0);
    const calls = (await aws.log()).filter((e) => e.operation === 'DescribeInstances');
    expect(calls.map((e) => [e.status, e.answeredBy])).toEqual([
      [503, 'fault'],
      [200, 'moto'],
    ]);
  });

  it('fails with a terminal code that the SDK reports as is', async () => {
    await aws.fault({
      operation: 'RunInstances',
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
    });
    await expect(launch(aws)).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('counts calls: the 2nd call fails, the 1st and 3rd pass', async () => {
    await aws.fault({ operation: 'ListBuckets', nth: 2, code: 'AccessDenied' });
    const s3 = new S3Client({ ...viaFront(), forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new ListBucketsCommand({}));
    await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    await s3.send(new ListBucketsCommand({}));
  });

  it('answers a bare HTTP 500, resets a connection, and adds latency', async () => {
    const { ssm } = clients(aws, 1);
    await aws.fault({ operation: 'DescribeInstanceInformation', status: 500 });
    await expect(ssm.send(new DescribeInstanceInformationCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    await aws.fault({ operation: 'DescribeInstanceInformation', reset: true });
    await expect(ssm.send(new DescribeInstanceInformationCommand({}))).rejects.toMatchObject({ code: 'ECONNRESET' });
    await aws.fault({ operation: 'DescribeInstanceInformation', latencyMs: 600 });
    const started = Date.now();
    await ssm.send(new DescribeInstanceInformationCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('keeps an instance from ever coming Online', async () => {
    const id = await launch(aws);
    await aws.control('POST', `/instances/${id}/never-online`);
    await new Promise((r) => setTimeout(r, 1000));
    const { ssm } = clients(aws);
    const info = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    expect(info.InstanceInformationList).toEqual([]);
    await expect(sendScript(aws, id, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
  });

  it('makes a command fail, or hang until it is cancelled', async () => {
    await aws.commandFault({ action: 'fail', exitCode: 7, stderr: 'disk full', match: 'step-one' });
    const failed = await waitDone(aws, await sendScript(aws, instanceId, ['echo step-one']), instanceId);
    expect(failed).toMatchObject({
      Status: 'Failed',
      ResponseCode: 7,
      StandardErrorContent: 'disk full\n',
      StandardOutputContent: '',
    });

    await aws.commandFault({ action: 'hang' });
    const hanging = await sendScript(aws, instanceId, ['echo never'], '2');
    const timedOut = await waitDone(aws, hanging, instanceId);
    expect(timedOut).toMatchObject({ Status: 'TimedOut', StandardOutputContent: '' });
  });

  it('makes a file system unreachable, so a mount times out', async () => {
    await aws.control('POST', `/file-systems/${aws.info.fileSystemId}/unreachable`);
    const id = await sendScript(aws, instanceId, [
      'dnf install -y nfs-utils >/dev/null',
      'mkdir -p /mnt/efs',
      `mount -t nfs4 ${aws.info.fileSystemId}.efs.us-east-1.amazonaws.com:/ /mnt/efs`,
    ]);
    const inv = await waitDone(aws, id, instanceId);
    expect(inv).toMatchObject({ Status: 'Failed', ResponseCode: 32 });
    expect(inv.StandardErrorContent).toContain('Connection timed out');
  });

  it('terminates an instance mid-command: the script dies, the invocation never completes, new commands are refused', async () => {
    const id = await launchOnline(aws);
    await aws.commandFault({ action: 'terminate-instance', afterMs: 500 });
    const commandId = await sendScript(aws, id, ['echo $$ > /var/tmp/pid', 'sleep 300'], '3');
    const inv = await waitDone(aws, commandId, id);
    expect(inv).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
    const described = await new EC2Client(viaFront()).send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    await expect(sendScript(aws, id, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    const info = await clients(aws).ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    expect(info.InstanceInformationList).toEqual([]);
  });
});

describe('instance lifecycle', () => {
  it('runs user data once at launch, and terminates an instance that shuts itself down', async () => {
    const id = await launch(aws, '#!/bin/bash\necho booted > /var/tmp/booted\nshutdown -P +0\n');
    const sandbox = path.join(aws.info.stateDir, 'instances', id);
    const deadline = Date.now() + 15_000;
    let state = '';
    while (Date.now() < deadline && state !== 'terminated') {
      await new Promise((r) => setTimeout(r, 500));
      const out = await new EC2Client(viaFront()).send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? '';
    }
    expect(fs.readFileSync(path.join(sandbox, 'var', 'tmp', 'booted'), 'utf8')).toBe('booted\n');
    expect(state).toBe('terminated');
  });
});
