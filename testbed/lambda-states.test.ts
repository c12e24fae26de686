// A function's life on the test bed beyond one invocation: Inactive and back through Pending, the file system mount
// Lambda refuses (security groups, file system policy, an unreachable file system), and reserved concurrency.
import {
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
} from '@aws-sdk/client-ec2';
import { type EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClients } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import {
  createActive,
  createFunctionRole,
  definition,
  FUNCTION_ROLE,
  invoke,
  lambdaClient,
  waitActive,
} from './lambda-support.ts';
import { AWS_MODEL } from './latency.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await createFunctionRole(aws);
}, 60_000);
afterAll(() => aws?.stop());

const ok = 'def handler(event, context):\n    return "ok"\n';

describe('states', () => {
  it('an Inactive function fails its next Invoke, goes back through Pending, and is Active again', async () => {
    await createActive(aws, definition(aws, 'idle', ok));
    expect((await invoke(aws, 'idle')).text).toBe('"ok"');
    await aws.control('POST', '/functions/idle/inactive');
    const lambda = lambdaClient(aws);
    expect(await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'idle' }))).toMatchObject({
      State: 'Inactive',
      StateReasonCode: 'Idle',
    });
    await expect(invoke(aws, 'idle')).rejects.toMatchObject({
      name: 'ResourceNotReadyException',
      $metadata: { httpStatusCode: 502 },
    });
    expect(await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'idle' }))).toMatchObject({
      State: 'Pending',
      StateReasonCode: 'Restoring',
    });
    await waitActive(aws, 'idle');
    expect((await invoke(aws, 'idle')).text).toBe('"ok"');
    lambda.destroy();
  });

  it('becomes Inactive by itself after functionIdleMs without an invocation', async () => {
    await createActive(aws, definition(aws, 'forgotten', ok));
    await aws.settings({ functionIdleMs: 500 });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const lambda = lambdaClient(aws);
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'forgotten' }));
      expect(config.State).toBe('Inactive');
      lambda.destroy();
    } finally {
      await aws.settings({ functionIdleMs: 14 * 24 * 3600 * 1000 });
    }
  });
});

describe('the file system mount', () => {
  it("fails with EFSMountConnectivityException when the mount target's group does not admit the function's", async () => {
    const { ec2 } = motoClients(aws);
    const group = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'lonely', Description: 'not admitted', VpcId: aws.info.vpcId }),
    );
    const fn = definition(aws, 'unconnected', ok);
    fn.Properties.VpcConfig.SecurityGroupIds = [group.GroupId ?? ''];
    await createActive(aws, fn);
    await expect(invoke(aws, 'unconnected')).rejects.toMatchObject({
      name: 'EFSMountConnectivityException',
      $metadata: { httpStatusCode: 408 },
    });
    // Once the mount target's group admits NFS from it, the next invocation mounts.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: aws.info.mountTargetSecurityGroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: group.GroupId }] },
        ],
      }),
    );
    expect((await invoke(aws, 'unconnected')).text).toBe('"ok"');
    ec2.destroy();
  });

  it('fails with EFSMountFailureException when the file system policy refuses the role ClientMount', async () => {
    const { efs } = motoClients(aws);
    const role = `arn:aws:iam::123456789012:role/${FUNCTION_ROLE}`;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: role }, Action: 'elasticfilesystem:ClientMount', Resource: '*' },
      ],
    };
    const FileSystemId = aws.info.fileSystemId;
    await efs.send(new PutFileSystemPolicyCommand({ FileSystemId, Policy: JSON.stringify(policy) }));
    try {
      await createActive(aws, definition(aws, 'refused', ok));
      await expect(invoke(aws, 'refused')).rejects.toMatchObject({
        name: 'EFSMountFailureException',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      await allowEveryone(efs, FileSystemId);
      efs.destroy();
    }
  });

  it('mounts read-only when the policy refuses ClientWrite', async () => {
    const { efs } = motoClients(aws);
    const role = `arn:aws:iam::123456789012:role/${FUNCTION_ROLE}`;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: role }, Action: 'elasticfilesystem:ClientWrite', Resource: '*' },
      ],
    };
    const FileSystemId = aws.info.fileSystemId;
    await efs.send(new PutFileSystemPolicyCommand({ FileSystemId, Policy: JSON.stringify(policy) }));
    try {
      const code = [
        'def handler(event, context):',
        '    try:',
        '        open("/mnt/efs/nope", "w").close()',
        '        return "wrote"',
        '    except OSError as e:',
        '        return e.strerror',
        '',
      ].join('\n');
      await createActive(aws, definition(aws, 'reader', code));
      expect((await invoke(aws, 'reader')).text).toBe('"Read-only file system"');
    } finally {
      await allowEveryone(efs, FileSystemId);
      efs.destroy();
    }
  });

  it('fails with EFSMountTimeoutException when the file system does not answer', async () => {
    await createActive(aws, definition(aws, 'unanswered', ok));
    await aws.control('POST', `/file-systems/${aws.info.fileSystemId}/unreachable`);
    try {
      await expect(invoke(aws, 'unanswered')).rejects.toMatchObject({
        name: 'EFSMountTimeoutException',
        $metadata: { httpStatusCode: 408 },
      });
    } finally {
      await aws.control('DELETE', `/file-systems/${aws.info.fileSystemId}/unreachable`);
    }
  });
});

describe('execution environments', () => {
  it('go cold after functionWarmMs idle: the next invocation starts a new one', async () => {
    await createActive(aws, definition(aws, 'cooling', ok));
    const initDuration = async () =>
      /Init Duration/.test(
        Buffer.from((await invoke(aws, 'cooling', {}, { LogType: 'Tail' })).LogResult ?? '', 'base64').toString(),
      );
    expect(await initDuration()).toBe(true);
    expect(await initDuration()).toBe(false);
    await aws.settings({ functionWarmMs: 300 });
    try {
      await new Promise((r) => setTimeout(r, 1200));
      expect(await initDuration()).toBe(true);
    } finally {
      await aws.settings({ functionWarmMs: 5 * 60 * 1000 });
    }
  });
});

describe('the network', () => {
  it("is none when the function's subnet has no route to S3: every connection fails", async () => {
    const { ec2 } = motoClients(aws);
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: aws.info.vpcId,
        CidrBlock: '10.20.9.0/24',
        AvailabilityZone: `${aws.info.region}a`,
      }),
    );
    // A route table of its own, with the VPC's local route only.
    const table = await ec2.send(new CreateRouteTableCommand({ VpcId: aws.info.vpcId }));
    await ec2.send(
      new AssociateRouteTableCommand({
        RouteTableId: table.RouteTable?.RouteTableId,
        SubnetId: subnet.Subnet?.SubnetId,
      }),
    );
    ec2.destroy();
    const code = [
      'import os, socket, urllib.parse',
      'def handler(event, context):',
      '    url = urllib.parse.urlparse(os.environ["AWS_ENDPOINT_URL"])',
      '    try:',
      '        socket.create_connection((url.hostname, url.port), timeout=2).close()',
      '        return "connected"',
      '    except OSError as e:',
      '        return "refused"',
      '',
    ].join('\n');
    const routed = definition(aws, 'routed', code);
    await createActive(aws, routed);
    expect((await invoke(aws, 'routed')).text).toBe('"connected"');
    const isolated = definition(aws, 'isolated', code);
    isolated.Properties.VpcConfig.SubnetIds = [subnet.Subnet?.SubnetId ?? ''];
    await createActive(aws, isolated);
    expect((await invoke(aws, 'isolated')).text).toBe('"refused"');
  });
});

describe('latency', () => {
  it('waits a cold start on a new execution environment, and less on a warm one', async () => {
    await createActive(aws, definition(aws, 'timed', ok));
    await aws.settings({
      latency: { ...AWS_MODEL, apiMs: 0, s3FirstByteMs: 0, lambdaColdStartMs: 1500, lambdaWarmInvokeMs: 300 },
    });
    try {
      const time = async () => {
        const started = Date.now();
        await invoke(aws, 'timed');
        return Date.now() - started;
      };
      const cold = await time();
      const warm = await time();
      expect(cold).toBeGreaterThanOrEqual(1500);
      expect(warm).toBeGreaterThanOrEqual(300);
      expect(warm).toBeLessThan(1500);
    } finally {
      await aws.settings({ latency: null } as never);
    }
  });
});

describe('reserved concurrency', () => {
  it('throttles invocations beyond ReservedConcurrentExecutions with TooManyRequestsException', async () => {
    const code = 'import time\ndef handler(event, context):\n    time.sleep(1.5)\n    return "done"\n';
    await createActive(aws, definition(aws, 'single', code, { ReservedConcurrentExecutions: 1 }));
    const [first, second] = await Promise.allSettled([invoke(aws, 'single'), invoke(aws, 'single')]);
    const outcomes = [first, second];
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      $metadata: { httpStatusCode: 429 },
    });
    // An asynchronous invocation is queued instead: accepted while the one execution is busy.
    const busy = invoke(aws, 'single');
    await new Promise((r) => setTimeout(r, 300));
    const lambda = lambdaClient(aws);
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'single', InvocationType: 'Event' }));
    expect(queued.StatusCode).toBe(202);
    expect((await busy).text).toBe('"done"');
    lambda.destroy();
  });
});

/** Back to a policy that lets every client do everything (moto has no DeleteFileSystemPolicy). */
async function allowEveryone(efs: EFSClient, FileSystemId: string): Promise<void> {
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:*', Resource: '*' }],
  };
  await efs.send(new PutFileSystemPolicyCommand({ FileSystemId, Policy: JSON.stringify(policy) }));
}
