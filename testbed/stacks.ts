// infra/efsync.yaml as CloudFormation would deploy it into the test bed's account, once per stack: the template is read
// fresh when the bed starts (so a change to it flows into the next bed), its parameters are the seeded ones, and the
// names CloudFormation generates for resources without an explicit name follow its pattern
// "<stack name>-<logical id>-<random suffix>" ("Name type", AWS CloudFormation User Guide,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html: "AWS CloudFormation
// generates a unique physical ID ... the stack name, the logical ID of the resource, and a random string").
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { deployed, evaluate, parseTemplate, TEMPLATE_PATH, type Template } from '../test/infra/schema.ts';

export const ACCOUNT = '123456789012';

export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

export interface StackParameters {
  GitHubOwner: string;
  GitHubRepository: string;
  FileSystemId: string;
  VpcId: string;
  MountTargetSecurityGroupId: string;
  [name: string]: string;
}

/** What one stack deploys that the bed needs: names, ARNs, and the roles' policies as CloudFormation renders them. */
export interface RenderedStack {
  stackName: string;
  values: Record<string, string>;
  actionRole: {
    name: string;
    arn: string;
    trust: PolicyDocument;
    policies: { name: string; document: PolicyDocument }[];
  };
  instanceRole: {
    name: string;
    arn: string;
    trust: PolicyDocument;
    managed: string[];
    policies: { name: string; document: PolicyDocument }[];
  };
  instanceProfile: string;
  stagingBucket: string;
  securityGroup: { name: string; description: string; tags: { Key: string; Value: string }[] };
  /** Whether the stack creates the account's GitHub OIDC provider (CreateOidcProvider). */
  createsOidcProvider: boolean;
  /** The roles Lambda may assume (its functions' execution roles), with their policies as rendered. */
  functionRoles: {
    name: string;
    arn: string;
    trust: PolicyDocument;
    managed: string[];
    policies: { name: string; document: PolicyDocument }[];
  }[];
  /** Each AWS::Lambda::Function as rendered, with its physical name (the bed creates them: lambda-functions.ts). */
  functions: { logicalId: string; properties: Record<string, unknown> }[];
}

export function readTemplate(): Template {
  return parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
}

/** A CloudFormation-like physical name: <stack>-<logical id>-<suffix>, the suffix stable for a stack and logical id. */
export function generatedName(stackName: string, logicalId: string, max = 64): string {
  const suffix = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  const head = `${stackName}-${logicalId}`.slice(0, max - suffix.length - 1);
  return `${head}-${suffix}`;
}

/**
 * Renders the template for a stack. `names` fixes physical names the seed must keep (a staging bucket the tests know);
 * every other resource gets a generated name, and Ref / GetAtt resolve as CloudFormation resolves them for the types the
 * template uses (Ref of a role is its name, of a bucket its name, of a security group its id; GetAtt Arn the ARN).
 */
export function renderStack(
  stackName: string,
  region: string,
  parameters: StackParameters,
  names: {
    stagingBucket?: string;
    /** The instance's security group; `securityGroups` names any other by its logical id. */
    securityGroupId?: string;
    securityGroups?: Record<string, string>;
    /** Access points the stack creates, by logical id: their ids. */
    accessPoints?: Record<string, string>;
  } = {},
  template: Template = readTemplate(),
): RenderedStack {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': ACCOUNT,
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${stackName}/${createHash('sha256').update(stackName).digest('hex').slice(0, 8)}`,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const values: Record<string, string> = { ...pseudo, ...parameters };
  // Parameter defaults first, so that the names below can be computed from them.
  for (const [name, parameter] of Object.entries(template.Parameters ?? {}))
    if (!(name in values) && 'Default' in parameter) values[name] = String(parameter.Default);
  const resources = template.Resources;
  const physical = (logicalId: string, type: string): Record<string, string> => {
    const props = resources[logicalId]?.Properties ?? {};
    const explicit = (key: string): string | undefined => {
      if (!(key in props)) return undefined;
      try {
        const value = evaluate(props[key], values, template);
        return typeof value === 'string' && value !== '' ? value : undefined;
      } catch {
        return undefined;
      }
    };
    switch (type) {
      case 'AWS::IAM::Role': {
        const name = explicit('RoleName') ?? generatedName(stackName, logicalId);
        const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
        return {
          [logicalId]: name,
          [`${logicalId}.Arn`]: arn,
          [`${logicalId}.RoleId`]: `AROA${logicalId.toUpperCase()}`,
        };
      }
      case 'AWS::IAM::InstanceProfile': {
        const name = explicit('InstanceProfileName') ?? generatedName(stackName, logicalId);
        return { [logicalId]: name, [`${logicalId}.Arn`]: `arn:aws:iam::${ACCOUNT}:instance-profile/${name}` };
      }
      case 'AWS::S3::Bucket': {
        // Bucket names are lower case (S3 naming rules); CloudFormation lower-cases the generated one.
        const name =
          explicit('BucketName') ?? names.stagingBucket ?? generatedName(stackName, logicalId, 63).toLowerCase();
        return {
          [logicalId]: name,
          [`${logicalId}.Arn`]: `arn:aws:s3:::${name}`,
          [`${logicalId}.DomainName`]: `${name}.s3.amazonaws.com`,
          [`${logicalId}.RegionalDomainName`]: `${name}.s3.${region}.amazonaws.com`,
        };
      }
      case 'AWS::EC2::SecurityGroup': {
        const id = names.securityGroups?.[logicalId] ?? names.securityGroupId ?? 'sg-0000000000000000';
        return { [logicalId]: id, [`${logicalId}.GroupId`]: id, [`${logicalId}.VpcId`]: values.VpcId ?? '' };
      }
      case 'AWS::Lambda::Function': {
        const name = explicit('FunctionName') ?? generatedName(stackName, logicalId, 64);
        return { [logicalId]: name, [`${logicalId}.Arn`]: `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}` };
      }
      case 'AWS::EFS::AccessPoint': {
        const id = names.accessPoints?.[logicalId] ?? 'fsap-00000000000000000';
        const arn = `arn:aws:elasticfilesystem:${region}:${ACCOUNT}:access-point/${id}`;
        return { [logicalId]: id, [`${logicalId}.AccessPointId`]: id, [`${logicalId}.Arn`]: arn };
      }
      case 'AWS::Logs::LogGroup': {
        const name = explicit('LogGroupName') ?? generatedName(stackName, logicalId, 512);
        return { [logicalId]: name, [`${logicalId}.Arn`]: `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name}:*` };
      }
      case 'AWS::IAM::OIDCProvider': {
        const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
        return { [logicalId]: arn, [`${logicalId}.Arn`]: arn };
      }
      default:
        return { [logicalId]: generatedName(stackName, logicalId) };
    }
  };
  // Roles and buckets before profiles, whose explicit names may refer to them.
  const order = Object.entries(resources).sort(
    ([, a], [, b]) => Number(a.Type === 'AWS::IAM::InstanceProfile') - Number(b.Type === 'AWS::IAM::InstanceProfile'),
  );
  for (const [logicalId, resource] of order) Object.assign(values, physical(logicalId, resource.Type));

  const { resources: out } = deployed(template, values);
  const ofType = (type: string) => Object.entries(out).filter(([, r]) => r.Type === type);
  const policiesOf = (props: Record<string, unknown>) =>
    ((props.Policies ?? []) as { PolicyName: string; PolicyDocument: PolicyDocument }[]).map((p) => ({
      name: p.PolicyName,
      document: p.PolicyDocument,
    }));
  // Policies of their own that name a role (AWS::IAM::Policy, RolePolicy, or a ManagedPolicy the role lists or that
  // lists the role) count as the role's, as IAM evaluates every policy attached to it.
  const attached = (logicalId: string, props: Record<string, unknown>) => {
    const name = values[logicalId] ?? '';
    const managed = (props.ManagedPolicyArns ?? []) as string[];
    return Object.entries(out)
      .filter(([id, r]) => /^AWS::IAM::(Policy|RolePolicy|ManagedPolicy)$/.test(r.Type) && id !== logicalId)
      .filter(
        ([id, r]) =>
          ((r.Properties.Roles ?? []) as string[]).includes(name) ||
          r.Properties.RoleName === name ||
          managed.includes(values[id] ?? ''),
      )
      .map(([id, r]) => ({
        name: String(r.Properties.PolicyName ?? r.Properties.ManagedPolicyName ?? id),
        document: r.Properties.PolicyDocument as PolicyDocument,
      }));
  };
  const roles = ofType('AWS::IAM::Role');
  // The action's role is the one GitHub's OIDC provider may assume; the instance role the one EC2 may.
  const trustedBy = (principal: string) =>
    roles.find(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes(principal));
  const [actionId, action] = trustedBy('AssumeRoleWithWebIdentity') ?? [];
  const [instanceId, instance] = trustedBy('ec2.amazonaws.com') ?? [];
  if (!action || !actionId || !instance || !instanceId)
    throw new Error('infra/efsync.yaml: no action or instance role');
  const [profileId] = ofType('AWS::IAM::InstanceProfile')[0] ?? [];
  const [bucketId] = ofType('AWS::S3::Bucket')[0] ?? [];
  const groups = ofType('AWS::EC2::SecurityGroup');
  const [, group] = groups.find(([id]) => id === 'InstanceSecurityGroup') ?? groups[0] ?? [];
  return {
    stackName,
    values,
    actionRole: {
      name: values[actionId] ?? '',
      arn: values[`${actionId}.Arn`] ?? '',
      trust: action.Properties.AssumeRolePolicyDocument as PolicyDocument,
      policies: [...policiesOf(action.Properties), ...attached(actionId, action.Properties)],
    },
    instanceRole: {
      name: values[instanceId] ?? '',
      arn: values[`${instanceId}.Arn`] ?? '',
      trust: instance.Properties.AssumeRolePolicyDocument as PolicyDocument,
      // AWS managed policies only: the stack's own are among its policies.
      managed: ((instance.Properties.ManagedPolicyArns ?? []) as string[]).filter((arn) => arn.includes(':iam::aws:')),
      policies: [...policiesOf(instance.Properties), ...attached(instanceId, instance.Properties)],
    },
    instanceProfile: values[profileId ?? ''] ?? '',
    stagingBucket: values[bucketId ?? ''] ?? '',
    securityGroup: {
      name: `${stackName}-instance`,
      description: String(group?.Properties.GroupDescription ?? `${stackName} instances`),
      // The template's own tags. CloudFormation adds aws:cloudformation:* tags too, which a caller cannot write (the aws:
      // prefix is reserved): the seed leaves them out.
      tags: (group?.Properties.Tags ?? []) as { Key: string; Value: string }[],
    },
    createsOidcProvider: 'GitHubOidcProvider' in out || ofType('AWS::IAM::OIDCProvider').length > 0,
    functionRoles: roles
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'))
      .map(([id, r]) => ({
        name: values[id] ?? '',
        arn: values[`${id}.Arn`] ?? '',
        trust: r.Properties.AssumeRolePolicyDocument as PolicyDocument,
        managed: ((r.Properties.ManagedPolicyArns ?? []) as string[]).filter((arn) => arn.includes(':iam::aws:')),
        policies: [...policiesOf(r.Properties), ...attached(id, r.Properties)],
      })),
    functions: ofType('AWS::Lambda::Function').map(([logicalId, r]) => ({
      logicalId,
      properties: { ...r.Properties, FunctionName: values[logicalId] ?? '' },
    })),
  };
}

/** The stack rendered again with some parameters changed, as a CloudFormation stack update would deploy it. */
export function updateStack(
  stack: RenderedStack,
  region: string,
  changed: Record<string, string>,
  template: Template = readTemplate(),
): RenderedStack {
  const parameters = Object.fromEntries(
    Object.keys(template.Parameters ?? {})
      .filter((name) => name in stack.values)
      .map((name) => [name, stack.values[name] ?? '']),
  ) as StackParameters;
  for (const name of Object.keys(changed))
    if (!(name in (template.Parameters ?? {}))) throw new Error(`infra/efsync.yaml has no parameter ${name}`);
  const groupId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::EC2::SecurityGroup')?.[0];
  return renderStack(
    stack.stackName,
    region,
    { ...parameters, ...changed },
    { stagingBucket: stack.stagingBucket, ...(groupId && { securityGroupId: stack.values[groupId] ?? '' }) },
    template,
  );
}
