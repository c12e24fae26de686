// IAM evaluation on the test bed (iam-eval.ts): the action role's calls are allowed or refused as its policies in
// infra/efsync.yaml say, refused in each service's own words; the harness's administrator key is never evaluated; a
// setting turns evaluation off.

import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { GetInstanceProfileCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientsOf, createKmsKey, frontConfig, launch, waitOnline } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { SECOND_STACK } from './seed.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  // Its cases leave instances running side by side, past AWS's default Standard quota of 5 vCPUs: this account has
  // raised it (quotas.ts).
  await aws.settings({ vcpuQuotas: { standard: 64 } });
}, 120_000);
afterAll(async () => {
  await aws?.stop();
});
beforeEach(async () => {
  await aws.reset();
  await aws.settings({ iam: true });
});

/** SDK clients signing with a key: the action role's static key by default. */
function as(key = aws.info.actionAccessKeyId) {
  return clientsOf(frontConfig(aws, { key, maxAttempts: 1 }));
}

const AMI = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const PRINCIPAL = /^arn:aws:sts::123456789012:assumed-role\/efsync-ActionRole-[0-9A-F]+\/static-key$/;

async function image(): Promise<string> {
  return (await as().ssm.send(new GetParameterCommand({ Name: AMI }))).Parameter?.Value ?? '';
}

/** RunInstances as the action makes it (src/remote/instance/launch.ts launchInput): tagged, IMDSv2, the stack's profile. */
async function launchInput(
  stack = aws.info.stackName,
  extra: Partial<RunInstancesCommandInput> = {},
): Promise<RunInstancesCommandInput> {
  const info = aws.info.stacks[stack];
  const tags = [
    { Key: 'managed-by', Value: 'efsync' },
    { Key: 'efsync:stack', Value: stack },
    { Key: 'Name', Value: 'efsync' },
  ];
  const input: RunInstancesCommandInput = {
    ImageId: await image(),
    InstanceType: 't3.small',
    MinCount: 1,
    MaxCount: 1,
    SubnetId: aws.info.subnetIds[0],
    SecurityGroupIds: [info?.instanceSecurityGroupId ?? ''],
    IamInstanceProfile: { Name: info?.instanceProfile ?? '' },
    MetadataOptions: { HttpTokens: 'required' as const, HttpEndpoint: 'enabled' as const },
    TagSpecifications: [
      { ResourceType: 'instance' as const, Tags: tags },
      { ResourceType: 'volume' as const, Tags: tags },
    ],
  };
  return { ...input, ...extra };
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { $metadata?: { httpStatusCode?: number }; Code?: string }) | undefined;
  expect(error, 'the call was refused').toBeInstanceOf(Error);
  return { name: error?.name ?? '', message: error?.message ?? '', status: error?.$metadata?.httpStatusCode };
}

describe('the action role', () => {
  it('is allowed what its policy allows, and the request log records each check', async () => {
    const { ec2 } = as();
    const run = await ec2.send(new RunInstancesCommand(await launchInput()));
    const id = run.Instances?.[0]?.InstanceId ?? '';
    expect(id).toMatch(/^i-/);
    const entry = (await aws.log()).find((e) => e.operation === 'RunInstances');
    expect(entry?.iam?.allowed).toBe(true);
    expect(entry?.iam?.principal).toMatch(PRINCIPAL);
    const checks = (entry?.iam?.checks ?? []).map((c) => `${c.action} ${c.resource.replace(/:[^:]+$/, '')}`);
    // EC2 authorizes a launch on each resource it uses or creates, the role it passes, and the tags on create.
    for (const type of ['instance', 'volume', 'subnet', 'security-group', 'network-interface', 'image'])
      expect(entry?.iam?.checks.some((c) => c.action === 'ec2:RunInstances' && c.resource.includes(`:${type}/`))).toBe(
        true,
      );
    expect(checks.some((c) => c.startsWith('iam:PassRole arn:aws:iam:'))).toBe(true);
    expect(entry?.iam?.checks.filter((c) => c.action === 'ec2:CreateTags').map((c) => c.resource)).toEqual([
      `arn:aws:ec2:${aws.info.region}:123456789012:instance/*`,
      `arn:aws:ec2:${aws.info.region}:123456789012:volume/*`,
    ]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it('is refused a launch without the managed-by tag (EC2: UnauthorizedOperation, 403, encoded message)', async () => {
    const input = await launchInput();
    const untagged = { ...input, TagSpecifications: undefined };
    const error = await refusal(as().ec2.send(new RunInstancesCommand(untagged)));
    expect(error.name).toBe('UnauthorizedOperation');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      /^You are not authorized to perform this operation\. User: arn:aws:sts::123456789012:assumed-role\/efsync-ActionRole-\w+\/static-key is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance\/\* because no identity-based policy allows the ec2:RunInstances action\. Encoded authorization failure message: [\w-]{200,}$/,
    );
    const entry = (await aws.log()).find((e) => e.operation === 'RunInstances');
    expect(entry?.iam?.allowed).toBe(false);
    expect(entry?.answeredBy).toBe('testbed');
  });

  it('is refused a launch without IMDSv2, and one with another stack’s instance profile (iam:PassRole)', async () => {
    const optional = await refusal(
      as().ec2.send(
        new RunInstancesCommand(await launchInput(undefined, { MetadataOptions: { HttpTokens: 'optional' } })),
      ),
    );
    expect(optional.message).toContain('ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/*');
    const other = aws.info.stacks[SECOND_STACK];
    const passing = await refusal(
      as().ec2.send(
        new RunInstancesCommand(
          await launchInput(undefined, {
            IamInstanceProfile: { Name: other?.instanceProfile ?? '' },
          }),
        ),
      ),
    );
    expect(passing.name).toBe('UnauthorizedOperation');
    expect(passing.message).toContain(
      `is not authorized to perform: iam:PassRole on resource: ${other?.instanceRoleArn}`,
    );
  });

  it('may send commands to its own tagged instances only (SSM: AccessDeniedException, 400)', async () => {
    const own = (await as().ec2.send(new RunInstancesCommand(await launchInput()))).Instances?.[0]?.InstanceId ?? '';
    // An instance launched by someone else, without the managed-by tag.
    const foreign = await launch(aws);
    await waitOnline(aws, own);
    const send = (id: string) =>
      as().ssm.send(
        new SendCommandCommand({
          InstanceIds: [id],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands: ['true'] },
        }),
      );
    expect((await send(own)).Command?.CommandId).toBeTruthy();
    const error = await refusal(send(foreign));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/efsync-ActionRole-\w+\/static-key is not authorized to perform: ssm:SendCommand/,
    );
    expect(error.message).toContain(
      `ssm:SendCommand on resource: arn:aws:ec2:us-east-1:123456789012:instance/${foreign} because no identity-based policy allows the ssm:SendCommand action`,
    );
    // Another document than AWS-RunShellScript.
    const document = await refusal(
      as().ssm.send(
        new SendCommandCommand({
          InstanceIds: [own],
          DocumentName: 'AWS-RunPowerShellScript',
          Parameters: { commands: ['x'] },
        }),
      ),
    );
    expect(document.message).toContain('on resource: arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript');
    // Tagging or terminating an instance that is not its own.
    const tagging = await refusal(
      as().ec2.send(new CreateTagsCommand({ Resources: [foreign], Tags: [{ Key: 'efsync:warm-until', Value: 'x' }] })),
    );
    expect(tagging.name).toBe('UnauthorizedOperation');
    const terminating = await refusal(as().ec2.send(new TerminateInstancesCommand({ InstanceIds: [foreign] })));
    expect(terminating.message).toContain(
      `ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/${foreign}`,
    );
    await as().ec2.send(new TerminateInstancesCommand({ InstanceIds: [own] }));
  });

  it('is refused outside its policy by S3 (AccessDenied, 403), EFS (AccessDeniedException, 403) and IAM (AccessDenied, 403)', async () => {
    const { s3, efs, iam } = as();
    await s3.send(new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: 'efsync/runs/x/part', Body: 'x' }));
    const outside = await refusal(
      s3.send(new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: 'elsewhere/part', Body: 'x' })),
    );
    expect(outside).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(outside.message).toContain(
      `is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${aws.info.stagingBucket}/elsewhere/part" because no identity-based policy allows the s3:PutObject action`,
    );
    const otherBucket = aws.info.stacks[SECOND_STACK]?.stagingBucket ?? '';
    expect((await refusal(s3.send(new GetObjectCommand({ Bucket: otherBucket, Key: 'efsync/state/x' })))).name).toBe(
      'AccessDenied',
    );

    await efs.send(new DescribeFileSystemsCommand({ FileSystemId: aws.info.fileSystemId }));
    const everyFileSystem = await refusal(efs.send(new DescribeFileSystemsCommand({})));
    expect(everyFileSystem).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(everyFileSystem.message).toMatch(
      /^User: arn:aws:sts::\S+ is not authorized to perform: elasticfilesystem:DescribeFileSystems on the specified resource$/,
    );

    await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: aws.info.instanceProfile }));
    const role = await refusal(iam.send(new GetRoleCommand({ RoleName: 'efsync-anything' })));
    expect(role).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(role.message).toContain(
      'is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/efsync-anything',
    );
    const log = await aws.log();
    expect(log.filter((e) => e.iam?.allowed === false).map((e) => e.operation)).toEqual([
      'PutObject',
      'GetObject',
      'DescribeFileSystems',
      'GetRole',
    ]);
  });

  it('is a stack’s own: the second stack’s role reaches its own instances, not the first stack’s', async () => {
    const second = aws.info.stacks[SECOND_STACK];
    const key = second?.actionAccessKeyId ?? '';
    const mine = (await as().ec2.send(new RunInstancesCommand(await launchInput()))).Instances?.[0]?.InstanceId ?? '';
    const theirs =
      (await as(key).ec2.send(new RunInstancesCommand(await launchInput(SECOND_STACK)))).Instances?.[0]?.InstanceId ??
      '';
    expect(theirs).toMatch(/^i-/);
    const log = await aws.log();
    expect(log.filter((e) => e.operation === 'RunInstances').map((e) => e.iam?.principal)).toEqual([
      expect.stringMatching(PRINCIPAL),
      expect.stringMatching(/assumed-role\/efsync-other-ActionRole-\w+\/static-key$/),
    ]);
    // The second stack's role may not terminate the first's instance: the template requires its own stack's tag
    // (efsync:stack) on it, and managed-by=efsync alone, which both stacks' instances carry, is not enough.
    const terminate = await as(key)
      .ec2.send(new TerminateInstancesCommand({ InstanceIds: [mine] }))
      .then(
        () => 'terminated',
        (e: Error) => e.name,
      );

    expect(terminate).toBe('UnauthorizedOperation');
    expect(JSON.stringify((await aws.log()).at(-1)?.iam)).toContain(`instance/${mine}`);
    for (const id of [mine, theirs])
      await as()
        .ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }))
        .catch(() => {});
  });

  it('is assumed only by its own repository’s OIDC tokens (STS: AccessDenied, 403)', async () => {
    const token = async (requestToken: string) => {
      const answer = await fetch(`${aws.info.oidcUrl}&audience=sts.amazonaws.com`, {
        headers: { authorization: `Bearer ${requestToken}` },
      });
      return ((await answer.json()) as { value: string }).value;
    };
    const sts = new STSClient({ endpoint: aws.info.endpoint, region: aws.info.region, maxAttempts: 1 });
    const second = aws.info.stacks[SECOND_STACK];
    const assume = async (roleArn: string, requestToken: string) =>
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: 'gha',
          WebIdentityToken: await token(requestToken),
        }),
      );
    expect((await assume(second?.roleArn ?? '', second?.oidcToken ?? '')).Credentials?.AccessKeyId).toBeTruthy();
    const crossed = await refusal(assume(second?.roleArn ?? '', aws.info.oidcToken));
    expect(crossed).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    });
    // A session of the second stack's role is evaluated as that role.
    const session = (await assume(second?.roleArn ?? '', second?.oidcToken ?? '')).Credentials;
    const s3 = new S3Client({
      endpoint: aws.info.endpoint,
      region: aws.info.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {
        accessKeyId: session?.AccessKeyId ?? '',
        secretAccessKey: session?.SecretAccessKey ?? '',
        sessionToken: session?.SessionToken ?? '',
      },
    });
    const error = await refusal(
      s3.send(new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: 'efsync/runs/x', Body: 'x' })),
    );
    expect(error.message).toMatch(
      /assumed-role\/efsync-other-ActionRole-\w+\/gha is not authorized to perform: s3:PutObject/,
    );
  });
});

describe('a stack update', () => {
  it('grants kms:Decrypt through S3 on the source key once SourceKmsKeyArn names it', async () => {
    const key = await createKmsKey(aws);
    await as('testing').s3.send(
      new PutObjectCommand({
        Bucket: aws.info.sourceBucket,
        Key: 'sealed/model.bin',
        Body: 'x',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: key,
      }),
    );
    const get = () => as().s3.send(new GetObjectCommand({ Bucket: aws.info.sourceBucket, Key: 'sealed/model.bin' }));
    const error = await refusal(get());
    expect(error).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(error.message).toContain(
      `is not authorized to perform: kms:Decrypt on resource: "${key}" because no identity-based policy allows the kms:Decrypt action`,
    );
    await aws.updateStack(aws.info.stackName, { SourceKmsKeyArn: key });
    try {
      expect(await (await get()).Body?.transformToString()).toBe('x');
      const checks = (await aws.log()).filter((e) => e.operation === 'GetObject').at(-1)?.iam?.checks;
      expect(checks?.map((c) => c.action)).toEqual(['s3:GetObject', 'kms:Decrypt']);
    } finally {
      await aws.updateStack(aws.info.stackName, { SourceKmsKeyArn: '' });
    }
  });
});

describe('the harness', () => {
  it('never evaluates the administrator key', async () => {
    const admin = as('testing');
    await admin.ec2.send(new DescribeInstancesCommand({}));
    await admin.efs.send(new DescribeFileSystemsCommand({}));
    await admin.s3.send(new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: 'anywhere', Body: 'x' }));
    await admin.iam.send(new GetRoleCommand({ RoleName: aws.info.roleArn.split('/').pop() ?? '' }));
    const log = await aws.log();
    expect(log.length).toBeGreaterThanOrEqual(4);
    expect(log.filter((e) => e.iam !== undefined)).toEqual([]);
  });

  it('turns evaluation off with the iam setting', async () => {
    await aws.settings({ iam: false });
    await as().efs.send(new DescribeFileSystemsCommand({}));
    await as().s3.send(new PutObjectCommand({ Bucket: aws.info.stagingBucket, Key: 'elsewhere/x', Body: 'x' }));
    expect((await aws.log()).filter((e) => e.iam !== undefined)).toEqual([]);
    await aws.settings({ iam: true });
    expect((await refusal(as().efs.send(new DescribeFileSystemsCommand({})))).name).toBe('AccessDeniedException');
  });
});
