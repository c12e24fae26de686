// Real SDK v3 clients pointed at a running test bed or at its moto, and the steps most tests need.
import {
  CreateVpcEndpointCommand,
  EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  GetParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { LocalAws } from '../../testbed/client.ts';

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

/**
 * A client configuration for the test bed's front. Signed with the tests' administrator key (`testing`), which the
 * bed never evaluates, unless `key` is a stack's `actionAccessKeyId`: then the bed evaluates the calls as that stack's
 * action role.
 */
export function frontConfig(aws: LocalAws, { key = 'testing', maxAttempts = 3 } = {}): ClientConfig {
  return {
    endpoint: aws.info.endpoint,
    region: aws.info.region,
    credentials: { accessKeyId: key, secretAccessKey: 'testing' },
    maxAttempts,
  };
}

/** A client configuration for moto itself: an administrator's calls, past the test bed's IAM and request log. */
export function motoConfig(aws: LocalAws): ClientConfig {
  return {
    endpoint: aws.info.motoEndpoint,
    region: aws.info.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** One client of each service the tests call, on one configuration (S3 path-style: the bed has no bucket DNS). */
export function clientsOf(config: ClientConfig) {
  return {
    config,
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    efs: new EFSClient(config),
    iam: new IAMClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

/** The tests' administrator clients, through the front. */
export const clients = (aws: LocalAws, maxAttempts = 3) => clientsOf(frontConfig(aws, { maxAttempts }));

/** An administrator's clients straight at moto. */
export const motoClients = (aws: LocalAws) => clientsOf(motoConfig(aws));

export async function launch(
  aws: LocalAws,
  userData?: string,
  extra: Partial<RunInstancesCommandInput> = {},
): Promise<string> {
  return runInstance(aws, clients(aws), {
    ...(userData && { UserData: Buffer.from(userData).toString('base64') }),
    ...extra,
  });
}

/**
 * An instance of the user's own (`instance-id`): launched straight at moto, as an administrator would outside the
 * action, so it carries no efsync tag and is not in the test bed's request log; named by its Name tag. As the README
 * asks of whoever borrows an instance ("Warm and borrowed instances"), the administrator also lets the action role
 * send commands to it (allowSendCommand).
 */
export async function launchOwn(aws: LocalAws, name: string): Promise<string> {
  const { ec2, ssm } = motoClients(aws);
  try {
    const tags = [{ ResourceType: 'instance' as const, Tags: [{ Key: 'Name', Value: name }] }];
    const id = await runInstance(aws, { ec2, ssm }, { TagSpecifications: tags });
    await allowSendCommand(aws, id);
    return id;
  } finally {
    ec2.destroy();
    ssm.destroy();
  }
}

/**
 * Adds the README's SendCommandsToMyInstance statement for this instance to the action role, as an administrator would
 * (through the control endpoint: the request log stays the action's own).
 */
export async function allowSendCommand(aws: LocalAws, instanceId: string, roleArn = aws.info.roleArn): Promise<void> {
  const role = roleArn.split('/').pop() ?? '';
  await aws.control('PUT', `/roles/${role}/policies/send-commands-to-${instanceId}`, {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SendCommandsToMyInstance',
        Effect: 'Allow',
        Action: 'ssm:SendCommand',
        Resource: `arn:aws:ec2:${aws.info.region}:123456789012:instance/${instanceId}`,
      },
    ],
  });
}

/**
 * RunInstances of one t3.small in the first seeded subnet (it reaches SSM's endpoints) with the stack's instance group
 * and profile (it grants SSM Agent's actions), so that SSM registers it. `ImageId` and the rest come from `extra`.
 */
export function instanceInput(aws: LocalAws, extra: Partial<RunInstancesCommandInput>): RunInstancesCommandInput {
  return {
    InstanceType: 't3.small',
    MinCount: 1,
    MaxCount: 1,
    SubnetId: aws.info.subnetIds[0],
    SecurityGroupIds: [aws.info.instanceSecurityGroupId],
    IamInstanceProfile: { Name: aws.info.instanceProfile },
    ...extra,
  };
}

/**
 * An S3 interface endpoint with private DNS in the seeded VPC, as an administrator adds one (at moto with `ec2`): it
 * reaches S3 itself, but not the Amazon Linux repositories, which are reached by S3's dualstack names.
 */
export function createS3InterfaceEndpoint(aws: LocalAws, ec2: EC2Client) {
  const { region, vpcId, subnetIds } = aws.info;
  return ec2.send(
    new CreateVpcEndpointCommand({
      VpcId: vpcId,
      VpcEndpointType: 'Interface',
      ServiceName: `com.amazonaws.${region}.s3`,
      SubnetIds: subnetIds,
      PrivateDnsEnabled: true,
    }),
  );
}

/** A t3.small of the current Amazon Linux 2023 image in the first subnet, with the instance group and profile. */
async function runInstance(
  aws: LocalAws,
  { ec2, ssm }: { ec2: EC2Client; ssm: SSMClient },
  extra: Partial<RunInstancesCommandInput>,
): Promise<string> {
  const ami = await ssm.send(
    new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }),
  );
  const run = await ec2.send(new RunInstancesCommand(instanceInput(aws, { ImageId: ami.Parameter?.Value, ...extra })));
  return run.Instances?.[0]?.InstanceId ?? '';
}

export async function waitOnline(aws: LocalAws, instanceId: string, timeoutMs = 20_000): Promise<void> {
  const { ssm } = clients(aws);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const info = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
    );
    if (info.InstanceInformationList?.[0]?.PingStatus === 'Online') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${instanceId} did not come Online`);
}

export async function launchOnline(aws: LocalAws): Promise<string> {
  const id = await launch(aws);
  await waitOnline(aws, id);
  return id;
}

export async function sendScript(
  aws: LocalAws,
  instanceId: string,
  commands: string[],
  executionTimeout = '600',
): Promise<string> {
  const { ssm } = clients(aws);
  const sent = await ssm.send(
    new SendCommandCommand({
      InstanceIds: [instanceId],
      DocumentName: 'AWS-RunShellScript',
      Parameters: { commands, executionTimeout: [executionTimeout] },
    }),
  );
  return sent.Command?.CommandId ?? '';
}

/** Polls until the invocation leaves Pending/InProgress/Cancelling (tolerating InvocationDoesNotExist at first). */
export async function waitDone(
  aws: LocalAws,
  commandId: string,
  instanceId: string,
  timeoutMs = 30_000,
): Promise<GetCommandInvocationCommandOutput> {
  const { ssm } = clients(aws);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      if (!['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(inv.Status ?? '')) return inv;
    } catch (error) {
      if ((error as Error).name !== 'InvocationDoesNotExist') throw error;
    }
    if (Date.now() > deadline) throw new Error(`command ${commandId} did not finish`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A KMS key in the test bed's account, created straight at moto as an administrator would (the request log stays the
 * caller's own). KMS's JSON protocol, target TrentService.CreateKey (botocore's kms service-2.json); moto routes by the
 * service in the credential scope. Returns the key's ARN.
 */
export async function createKmsKey(aws: LocalAws, description = 'efsync test key'): Promise<string> {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const answer = await fetch(aws.info.motoEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/${date}/${aws.info.region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: description, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' }),
  });
  const json = (await answer.json()) as { KeyMetadata?: { Arn?: string } };
  const arn = json.KeyMetadata?.Arn;
  if (!answer.ok || !arn) throw new Error(`CreateKey: ${answer.status} ${JSON.stringify(json)}`);
  return arn;
}

/** What a refused AWS call answered (its error's name, message and HTTP status), or undefined when it succeeded. */
export const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );
