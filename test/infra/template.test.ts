// infra/efsync.yaml: every resource and property against the schema subset, references and conditions, and what
// it creates (trust, instance role, bucket, network, outputs) evaluated as CloudFormation would.
import fs, { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANAGED_BY, STACK_TAG } from '../../src/remote/instance/tags.ts';
import { actionYml, ROOT } from '../support/repo.ts';
import {
  checkTemplate,
  deployed as deployedWith,
  evaluate,
  parameterValues,
  parseTemplate,
  RESOURCE_SCHEMAS,
  SAMPLE,
  TEMPLATE_PATH,
  type Template,
} from './schema.ts';

const template = parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
const deployed = (given: Record<string, string> = {}) => deployedWith(template, given);

function props(name: string, given: Record<string, string> = {}): Record<string, unknown> {
  const resource = deployed(given).resources[name];
  if (!resource) throw new Error(`${name} is not deployed`);
  return resource.Properties;
}

describe('the template is well formed', () => {
  it('parses with the short-form tags into the long form', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    const role = template.Resources.InstanceProfile?.Properties?.Roles as unknown[];
    expect(role).toEqual([{ Ref: 'InstanceRole' }]);
    expect(template.Outputs?.RoleArn?.Value).toEqual({ 'Fn::GetAtt': ['ActionRole', 'Arn'] });
  });

  it('uses only resource types and properties of the schema subset, and no dangling reference', () => {
    expect(checkTemplate(template)).toEqual([]);
  });

  it('covers each resource type it uses in the schema subset', () => {
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of types) expect(Object.keys(RESOURCE_SCHEMAS)).toContain(type);
  });

  it('reports a broken template (so the check above can fail)', () => {
    const broken = parseTemplate(`
Parameters:
  Unused: { Type: String }
  Typo: { Type: Strin, Default: x }
Conditions:
  Yes: !Equals [a, a]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption: {}
      LifecycleConfiguration:
        Rules:
          - Prefix: runs/
            ExpirationDays: 1
      Versioning: true
  Group:
    Type: AWS::EC2::SecurityGroup
    Condition: Nope
    Properties:
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - { IpProtocol: tcp, FromPort: 443, ToPort: 443, SourceSecurityGroupId: sg-1 }
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: !If [Maybe, {}, {}]
      Description: !Sub '\${Bucket.Nope} \${Missing}'
  Queue:
    Type: AWS::SQS::Queue
Outputs:
  Id:
    Value: !GetAtt Group.Arn
`);
    expect(checkTemplate(broken as Template).sort()).toEqual(
      [
        'Outputs.Id.Value: AWS::EC2::SecurityGroup has no attribute Arn',
        'Parameters.Typo: never used',
        'Parameters.Typo: unknown Type Strin',
        'Parameters.Unused: never used',
        'Resources.Bucket.Properties.BucketEncryption: missing required property ServerSideEncryptionConfiguration',
        'Resources.Bucket.Properties.LifecycleConfiguration.Rules[0]: missing required property Status',
        'Resources.Bucket.Properties.LifecycleConfiguration.Rules[0]: unknown property ExpirationDays',
        'Resources.Bucket.Properties: unknown property Versioning',
        'Resources.Group.Properties.SecurityGroupEgress[0]: unknown property SourceSecurityGroupId',
        'Resources.Group.Properties.VpcId: Ref to unknown Vpc',
        'Resources.Group.Properties: missing required property GroupDescription',
        'Resources.Group: unknown condition Nope',
        'Resources.Queue: resource type AWS::SQS::Queue is not in the schema subset',
        'Resources.Role.Properties.AssumeRolePolicyDocument: Fn::If on unknown condition Maybe',
        'Resources.Role.Properties.Description: AWS::S3::Bucket has no attribute Nope',
        'Resources.Role.Properties.Description: Fn::Sub of unknown Missing',
      ].sort(),
    );
  });

  it('refuses duplicate keys', () => {
    expect(() => parseTemplate('Resources:\n  A: { Type: X }\n  A: { Type: Y }\n')).toThrow();
  });
});

describe('what it deploys', () => {
  it('creates the OIDC provider only when asked, and trusts it either way', () => {
    const created = deployed();
    expect(created.resources.GitHubOidcProvider?.Properties).toEqual({
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    const existing = deployed({ CreateOidcProvider: 'false' });
    expect(existing.resources.GitHubOidcProvider).toBeUndefined();
    for (const { resources } of [created, existing]) {
      const document = resources.ActionRole?.Properties.AssumeRolePolicyDocument as TrustPolicy | undefined;
      const trust = document?.Statement[0];
      expect(trust?.Principal.Federated).toBe(
        'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      );
    }
  });

  interface TrustPolicy {
    Statement: {
      Effect: string;
      Action: string;
      Principal: { Federated: string };
      Condition: Record<string, Record<string, unknown>>;
    }[];
  }
  const trust = (given: Record<string, string> = {}) =>
    (props('ActionRole', given).AssumeRolePolicyDocument as TrustPolicy).Statement;

  it('trusts one repository and a ref pattern, in the repo:OWNER/REPO format by default', () => {
    const [statement, ...others] = trust();
    expect(others).toEqual([]);
    expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement?.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:acme/ml-service:ref:refs/heads/main'] },
    });
  });

  it('trusts only the immutable format when the ids are given, with a second pattern', () => {
    const [statement] = trust({
      GitHubOwnerId: '1234',
      GitHubRepositoryId: '98765',
      SecondRefPattern: 'ref:refs/tags/v*',
    });
    expect(statement?.Condition.StringLike).toEqual({
      'token.actions.githubusercontent.com:sub': [
        'repo:acme@1234/ml-service@98765:ref:refs/heads/main',
        'repo:acme@1234/ml-service@98765:ref:refs/tags/v*',
      ],
    });
  });

  it('never uses ForAllValues or a bare wildcard subject in the trust policy', () => {
    expect(JSON.stringify(template.Resources.ActionRole?.Properties?.AssumeRolePolicyDocument)).not.toMatch(
      /ForAllValues|ForAnyValue/,
    );
    for (const name of ['RefPattern', 'SecondRefPattern']) {
      const pattern = new RegExp(template.Parameters?.[name]?.AllowedPattern as string);
      // A name starting with a wildcard, a wildcard in the kind, or a broad form written otherwise: never.
      for (const bad of ['**', 'ref:r*', 'ref:refs/heads/**', 'ref:refs/*/main', 'ref:refs/heads/?x', 'environment:*x'])
        expect(pattern.test(bad), bad).toBe(false);
      expect(pattern.test(''), name).toBe(name === 'SecondRefPattern');
      for (const good of ['ref:refs/heads/main', 'ref:refs/tags/v*', 'environment:production', 'ref:refs/heads/a/*'])
        expect(pattern.test(good), good).toBe(true);
      // The broad forms pass the pattern, exactly as written, for the rule below to decide.
      for (const broad of BROAD) expect(pattern.test(broad), broad).toBe(true);
    }
  });

  const BROAD = ['pull_request', '*', 'ref:*', 'ref:refs/*', 'ref:refs/heads/*', 'ref:refs/tags/*', 'environment:*'];

  it('refuses pull_request and the bare wildcards unless AllowPullRequestsAndWildcards is true (a rule)', () => {
    const rule = (template.Rules as Record<string, { RuleCondition: unknown; Assertions: { Assert: unknown }[] }>)
      .NarrowRefPatterns;
    const values = (given: Record<string, string>) => parameterValues(template, { ...SAMPLE, ...given });
    const holds = (given: Record<string, string>) =>
      (rule?.Assertions ?? []).every((assertion) => evaluate(assertion.Assert, values(given), template));
    const applies = (given: Record<string, string>) => evaluate(rule?.RuleCondition, values(given), template);
    expect(applies({})).toBe(true);
    expect(applies({ AllowPullRequestsAndWildcards: 'true' })).toBe(false);
    expect(holds({})).toBe(true);
    expect(holds({ RefPattern: 'environment:production', SecondRefPattern: 'ref:refs/tags/v*' })).toBe(true);
    for (const broad of BROAD) {
      expect(holds({ RefPattern: broad }), broad).toBe(false);
      expect(holds({ SecondRefPattern: broad }), broad).toBe(false);
    }
    // Every broad form the patterns accept is in the rule's list: the pattern and the rule cover each other.
    const listed = JSON.stringify(rule?.Assertions);
    for (const broad of BROAD) expect(listed).toContain(JSON.stringify(broad));
  });

  it('refuses one id without the other (a rule)', () => {
    const rule = (template.Rules as Record<string, { Assertions: { Assert: unknown }[] }>).BothIdsOrNone;
    const holds = (owner: string, repo: string) =>
      evaluate(
        rule?.Assertions[0]?.Assert,
        parameterValues(template, { ...SAMPLE, GitHubOwnerId: owner, GitHubRepositoryId: repo }),
        template,
      );
    expect(holds('', '')).toBe(true);
    expect(holds('1', '2')).toBe(true);
    expect(holds('1', '')).toBe(false);
    expect(holds('', '2')).toBe(false);
  });

  it('refuses a source KMS key without a source bucket (a rule)', () => {
    const rule = (template.Rules as Record<string, { RuleCondition: unknown; Assertions: { Assert: unknown }[] }>)
      .KmsKeyOnlyWithSource;
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const values = (bucket: string, kmsKey: string) =>
      parameterValues(template, { ...SAMPLE, SourceBucket: bucket, SourceKmsKeyArn: kmsKey });
    const applies = (bucket: string, kmsKey: string) => evaluate(rule?.RuleCondition, values(bucket, kmsKey), template);
    const holds = (bucket: string, kmsKey: string) =>
      evaluate(rule?.Assertions[0]?.Assert, values(bucket, kmsKey), template);
    expect(applies('ml-models', '')).toBe(false);
    expect(applies('', key)).toBe(true);
    expect(holds('', key)).toBe(false);
    expect(holds('ml-models', key)).toBe(true);
  });

  it('gives the instance role SSM Agent’s Run Command actions and the EFS client actions on the file system only', () => {
    const role = props('InstanceRole');
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = (
      role.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.map((s) => s.Resource)).toEqual([
      '*',
      '*',
      `arn:aws:elasticfilesystem:${SAMPLE['AWS::Region']}:${SAMPLE['AWS::AccountId']}:file-system/${SAMPLE.FileSystemId}`,
    ]);
    // Nothing that reads the account's parameters (AmazonSSMManagedInstanceCore's ssm:GetParameter(s) on "*"),
    // documents or sessions: SSM Agent's heartbeat and command channels only.
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('ssm:'))).toEqual(['ssm:UpdateInstanceInformation']);
    for (const action of actions) expect(action).toMatch(/^(ssm|ec2messages|ssmmessages|elasticfilesystem):[A-Z]\w+$/);
    expect(actions).not.toContain('ssmmessages:OpenDataChannel');
    expect(role.PermissionsBoundary).toBeUndefined();
    expect(props('InstanceProfile')).toEqual({
      InstanceProfileName: 'efsync-instance',
      Roles: ['efsync-InstanceRole-1'],
    });
  });

  it('defaults match the action: stack, instance profile name and staging prefix', () => {
    const inputs = actionYml().inputs;
    // Both empty: <stack name>-instance, and the stack input's default is the quick start's stack name.
    expect(template.Parameters?.InstanceProfileName?.Default).toBe('');
    expect(inputs['instance-profile']?.default).toBe('');
    expect(inputs.stack?.default).toBe('efsync');
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('--stack-name efsync ');
    expect(props('InstanceProfile').InstanceProfileName).toBe(`${inputs.stack?.default}-instance`);
    expect(template.Parameters?.StagingPrefix?.Default).toBe(inputs['staging-prefix']?.default);
    expect(template.Parameters?.OidcAudience?.Default).toBe(inputs.audience?.default);
    expect(template.Parameters?.MaxSessionDuration?.Default).toBe(Number(inputs['role-duration-seconds']?.default));
  });

  it('makes the staging bucket private and encrypted, expiring staged runs after a day', () => {
    const bucket = props('StagingBucket');
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = (bucket.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const runs = rules.find((rule) => rule.Prefix === 'efsync/runs/');
    expect(runs).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 1,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    // The published state (efsync/state/) must never expire: no rule without a prefix expires objects.
    for (const rule of rules) if (!rule.Prefix) expect(rule.ExpirationInDays).toBeUndefined();
    expect(rules.some((rule) => !rule.Prefix && rule.AbortIncompleteMultipartUpload)).toBe(true);
    const policy = JSON.stringify(props('StagingBucketPolicy'));
    expect(policy).toContain('"aws:SecureTransport":"false"');
  });

  it('lets the instance out on 443 and 2049 only, and in on nothing; the mount target admits 2049 from it', () => {
    const group = props('InstanceSecurityGroup');
    expect(group.VpcId).toBe('vpc-0123456789abcdef0');
    expect(group.SecurityGroupIngress).toBeUndefined();
    const egress = group.SecurityGroupEgress as Record<string, unknown>[];
    expect(egress.map((rule) => [rule.IpProtocol, rule.FromPort, rule.ToPort])).toEqual([
      ['tcp', 443, 443],
      ['tcp', 2049, 2049],
    ]);
    expect(egress[1]?.DestinationSecurityGroupId).toBe('sg-0aaaaaaaaaaaaaaa0');
    expect(props('MountTargetNfsFromInstance')).toMatchObject({
      GroupId: 'sg-0aaaaaaaaaaaaaaa0',
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      SourceSecurityGroupId: 'sg-0bbbbbbbbbbbbbbb0',
    });
  });

  it('outputs every value a workflow needs', () => {
    expect(deployed().outputs).toMatchObject({
      Stack: 'efsync',
      Region: 'eu-central-1',
      RoleArn: 'arn:aws:iam::123456789012:role/efsync-ActionRole-1',
      FileSystemId: 'fs-0123456789abcdef0',
      StagingBucket: 'efsync-stagingbucket-1',
      StagingPrefix: 'efsync/',
      InstanceProfile: 'efsync-instance',
      InstanceSecurityGroupId: 'sg-0bbbbbbbbbbbbbbb0',
    });
  });
});

describe('one stack per repository or file system, several in one account', () => {
  interface Statement {
    Sid: string;
    Condition?: Record<string, Record<string, unknown>>;
  }
  const statements = (given: Record<string, string> = {}) =>
    (props('ActionRole', given).Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
  const bySid = (sid: string, given: Record<string, string> = {}) =>
    statements(given).find((s) => s.Sid === sid) as Statement;

  /** Every IAM name the stack creates: a name property where the template sets one, else CloudFormation's. */
  /** The names unique per account (or Region) the stack takes: IAM's, the writer function's and its log group's. */
  function iamNames(stackName: string): string[] {
    const { resources, values } = deployedWith(template, { 'AWS::StackName': stackName });
    const named = (type: string) =>
      (type.startsWith('AWS::IAM::') && type !== 'AWS::IAM::OIDCProvider') ||
      type === 'AWS::Lambda::Function' ||
      type === 'AWS::Logs::LogGroup';
    return Object.entries(resources)
      .filter(([, r]) => named(r.Type))
      .map(([name]) => values[name] ?? '');
  }

  it('derives every IAM name from the stack name, so two stacks never collide', () => {
    const a = iamNames('efsync');
    const b = iamNames('efsync-models');
    // The action role, the instance role, the instance profile; the writer's role, function and log group.
    expect(a).toHaveLength(6);
    expect(a).toContain('efsync-instance');
    expect(a).toContain('efsync-writer');
    expect(a).toContain('/aws/lambda/efsync-writer');
    expect(b).toContain('efsync-models-instance');
    expect(b).toContain('efsync-models-writer');
    for (const name of a) expect(b, name).not.toContain(name);
    // A name given explicitly is kept as given.
    expect(props('InstanceProfile', { InstanceProfileName: 'my-profile' }).InstanceProfileName).toBe('my-profile');
    // The template names nothing else account-wide (the OIDC provider is shared: CreateOidcProvider=false).
    for (const resource of Object.values(template.Resources))
      for (const key of ['RoleName', 'ManagedPolicyName', 'BucketName', 'GroupName'])
        expect(resource.Properties?.[key], key).toBeUndefined();
  });

  it('lets the role launch, command, tag and terminate only instances tagged with its own stack name', () => {
    for (const stackName of ['efsync', 'efsync-models']) {
      const tag = (prefix: string) => ({ [`${prefix}/managed-by`]: 'efsync', [`${prefix}/efsync:stack`]: stackName });
      const given = { 'AWS::StackName': stackName };
      expect(bySid('LaunchTaggedInstanceWithImdsV2', given).Condition?.StringEquals).toMatchObject(
        tag('aws:RequestTag'),
      );
      expect(bySid('LaunchTaggedVolume', given).Condition?.StringEquals).toEqual(tag('aws:RequestTag'));
      expect(bySid('TagOwnInstancesWarm', given).Condition?.StringEquals).toEqual(tag('aws:ResourceTag'));
      expect(bySid('TerminateOwnInstances', given).Condition?.StringEquals).toEqual(tag('aws:ResourceTag'));
      expect(bySid('SendCommandsToOwnInstances', given).Condition?.StringEquals).toEqual(tag('ssm:resourceTag'));
    }
    // The tag the template requires is the one the action writes.
    expect(STACK_TAG).toBe('efsync:stack');
    expect(MANAGED_BY).toEqual({ Key: 'managed-by', Value: 'efsync' });
  });

  it('launches only with the template’s security group, plus ExtraSecurityGroupIds', () => {
    const groups = (given: Record<string, string> = {}) =>
      bySid('LaunchWithTheInstanceSecurityGroup', given).Condition?.StringEquals?.['ec2:SecurityGroupID'];
    expect(groups()).toBe('sg-0bbbbbbbbbbbbbbb0');
    expect(groups({ ExtraSecurityGroupIds: 'sg-0ccccccccccccccc0,sg-0ddddddddddddddd0' })).toEqual([
      'sg-0bbbbbbbbbbbbbbb0',
      'sg-0ccccccccccccccc0',
      'sg-0ddddddddddddddd0',
    ]);
    // Subnets stay limited to the VPC; a group of another VPC is refused by ec2:Vpc too.
    expect(bySid('LaunchIntoTheVpc').Condition).toEqual({
      ArnEquals: { 'ec2:Vpc': 'arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-0123456789abcdef0' },
    });
  });

  it('launches only the families instance-type auto chooses, plus ExtraInstanceTypes', async () => {
    const types = (given: Record<string, string> = {}) =>
      bySid('LaunchTaggedInstanceWithImdsV2', given).Condition?.StringLike?.['ec2:InstanceType'] as string[];
    const { autoTypes } = await import('../../src/core/instance-size.ts');
    const families = [...new Set(autoTypes().map((type) => `${type.split('.')[0]}.*`))];
    expect(types()).toEqual(families);
    expect(types({ ExtraInstanceTypes: 't3.small,r7g.*' })).toEqual([...families, 't3.small', 'r7g.*']);
  });
});
