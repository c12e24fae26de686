// What the Lambda tests of the test bed share: a function role, a function definition as CloudFormation renders one,
// a Lambda client through the front, and waiting for a function to be Active.
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { frontConfig, motoClients } from '../test/support/local-aws.ts';
import type { LocalAws } from './client.ts';

export const FUNCTION_ROLE = 'efsync-writer-function';

/** A Lambda client through the front: the tests' administrator unless `key` is a stack's action key; no retries. */
export const lambdaClient = (aws: LocalAws, key = 'testing') =>
  new LambdaClient(frontConfig(aws, { key, maxAttempts: 1 }));

/** The function's execution role, as a template would make it: Lambda may assume it, and it may mount and write EFS. */
export async function createFunctionRole(aws: LocalAws, name = FUNCTION_ROLE): Promise<string> {
  const { iam } = motoClients(aws);
  try {
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    const mount = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          Resource: '*',
        },
      ],
    };
    await iam.send(
      new PutRolePolicyCommand({ RoleName: name, PolicyName: 'efs', PolicyDocument: JSON.stringify(mount) }),
    );
    return role.Role?.Arn ?? '';
  } finally {
    iam.destroy();
  }
}

/** An AWS::Lambda::Function as CloudFormation renders it: Python 3.11 in the seeded VPC, the access point at /mnt/efs. */
export function definition(aws: LocalAws, name: string, code: string, extra: Record<string, unknown> = {}) {
  const { region, accessPointId, subnetIds, instanceSecurityGroupId } = aws.info;
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: name,
      Role: `arn:aws:iam::123456789012:role/${FUNCTION_ROLE}`,
      Runtime: 'python3.11',
      Handler: 'index.handler',
      Code: { ZipFile: code },
      Timeout: 5,
      MemorySize: 512,
      // The seeded mount target (in the first subnet's zone) admits NFS from the stack's instance group.
      VpcConfig: { SubnetIds: [subnetIds[0]], SecurityGroupIds: [instanceSecurityGroupId] },
      FileSystemConfigs: [
        {
          Arn: `arn:aws:elasticfilesystem:${region}:123456789012:access-point/${accessPointId}`,
          LocalMountPath: '/mnt/efs',
        },
      ],
      ...extra,
    },
  };
}

/** Creates the function and waits until it is Active. */
export async function createActive(aws: LocalAws, body: ReturnType<typeof definition>): Promise<void> {
  await aws.control('POST', '/functions', body);
  await waitActive(aws, body.Properties.FunctionName);
}

export async function waitActive(aws: LocalAws, name: string, timeoutMs = 15_000): Promise<void> {
  const lambda = lambdaClient(aws);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      if (config.State === 'Active') return;
      if (Date.now() > deadline) throw new Error(`${name} is still ${config.State}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    lambda.destroy();
  }
}

/** Invokes a function with an event, as the administrator; the answer with its payload as text. */
export async function invoke(
  aws: LocalAws,
  name: string,
  event: unknown = {},
  extra: { LogType?: 'Tail'; key?: string } = {},
): Promise<InvokeCommandOutput & { text: string }> {
  const lambda = lambdaClient(aws, extra.key);
  try {
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: new TextEncoder().encode(JSON.stringify(event)),
        ...(extra.LogType && { LogType: extra.LogType }),
      }),
    );
    return { ...answer, text: answer.Payload ? new TextDecoder().decode(answer.Payload) : '' };
  } finally {
    lambda.destroy();
  }
}
