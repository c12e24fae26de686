/**
 * A subset of the CloudFormation resource schemas: for every resource type infra/efsync.yaml uses, the properties
 * CloudFormation allows and the ones it requires (taken from the provider schemas, us-east-1), nested where the
 * template nests. Plus what the tests need around it: the YAML reader with CloudFormation's short-form tags, a
 * structural checker (properties, references, conditions, substitutions), and an evaluator for the intrinsic
 * functions the template uses.
 */
import path from 'node:path';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { ROOT } from '../support/repo.ts';

export const TEMPLATE_PATH = path.join(ROOT, 'infra/efsync.yaml');

// ---------------------------------------------------------------------------------------------------------------
// The schema subset.

/** An object property: its allowed properties (each a nested shape or `true` for any value) and required ones. */
export interface ObjectShape {
  required?: string[];
  properties: Record<string, Shape>;
}
/** A list whose items have a shape. */
export interface ListShape {
  items: Shape;
}
export type Shape = true | ObjectShape | ListShape;

export interface ResourceSchema extends ObjectShape {
  /** Attributes Fn::GetAtt may read. */
  attributes: string[];
}

const tag: ObjectShape = { required: ['Key', 'Value'], properties: { Key: true, Value: true } };
const tags: ListShape = { items: tag };
const securityGroupRule = (direction: 'ingress' | 'egress'): ObjectShape => ({
  required: ['IpProtocol'],
  properties: {
    CidrIp: true,
    CidrIpv6: true,
    Description: true,
    FromPort: true,
    IpProtocol: true,
    ToPort: true,
    ...(direction === 'egress'
      ? { DestinationPrefixListId: true, DestinationSecurityGroupId: true }
      : {
          SourcePrefixListId: true,
          SourceSecurityGroupId: true,
          SourceSecurityGroupName: true,
          SourceSecurityGroupOwnerId: true,
        }),
  },
});

export const RESOURCE_SCHEMAS: Record<string, ResourceSchema> = {
  'AWS::IAM::OIDCProvider': {
    // CloudFormation's schema requires nothing, but IAM cannot create a provider without its URL.
    required: ['Url'],
    properties: { ClientIdList: true, Tags: tags, ThumbprintList: true, Url: true },
    attributes: ['Arn'],
  },
  'AWS::IAM::Role': {
    required: ['AssumeRolePolicyDocument'],
    properties: {
      AssumeRolePolicyDocument: true,
      Description: true,
      ManagedPolicyArns: true,
      MaxSessionDuration: true,
      Path: true,
      PermissionsBoundary: true,
      Policies: {
        items: { required: ['PolicyName', 'PolicyDocument'], properties: { PolicyDocument: true, PolicyName: true } },
      },
      RoleName: true,
      Tags: tags,
    },
    attributes: ['Arn', 'RoleId'],
  },
  'AWS::IAM::InstanceProfile': {
    required: ['Roles'],
    properties: { InstanceProfileName: true, Path: true, Roles: true },
    attributes: ['Arn'],
  },
  'AWS::S3::Bucket': {
    properties: {
      AccelerateConfiguration: true,
      AccessControl: true,
      BucketEncryption: {
        required: ['ServerSideEncryptionConfiguration'],
        properties: {
          ServerSideEncryptionConfiguration: {
            items: {
              properties: {
                BlockedEncryptionTypes: true,
                BucketKeyEnabled: true,
                ServerSideEncryptionByDefault: {
                  required: ['SSEAlgorithm'],
                  properties: { KMSMasterKeyID: true, SSEAlgorithm: true },
                },
              },
            },
          },
        },
      },
      BucketName: true,
      CorsConfiguration: true,
      LifecycleConfiguration: {
        required: ['Rules'],
        properties: {
          TransitionDefaultMinimumObjectSize: true,
          Rules: {
            items: {
              required: ['Status'],
              properties: {
                AbortIncompleteMultipartUpload: {
                  required: ['DaysAfterInitiation'],
                  properties: { DaysAfterInitiation: true },
                },
                ExpirationDate: true,
                ExpirationInDays: true,
                ExpiredObjectDeleteMarker: true,
                Id: true,
                NoncurrentVersionExpiration: true,
                NoncurrentVersionExpirationInDays: true,
                NoncurrentVersionTransition: true,
                NoncurrentVersionTransitions: true,
                ObjectSizeGreaterThan: true,
                ObjectSizeLessThan: true,
                Prefix: true,
                Status: true,
                TagFilters: true,
                Transition: true,
                Transitions: true,
              },
            },
          },
        },
      },
      LoggingConfiguration: true,
      NotificationConfiguration: true,
      ObjectLockConfiguration: true,
      ObjectLockEnabled: true,
      OwnershipControls: {
        required: ['Rules'],
        properties: { Rules: { items: { properties: { ObjectOwnership: true } } } },
      },
      PublicAccessBlockConfiguration: {
        properties: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
      ReplicationConfiguration: true,
      Tags: tags,
      VersioningConfiguration: { required: ['Status'], properties: { Status: true } },
      WebsiteConfiguration: true,
    },
    attributes: ['Arn', 'DomainName', 'DualStackDomainName', 'RegionalDomainName', 'WebsiteURL'],
  },
  'AWS::S3::BucketPolicy': {
    required: ['Bucket', 'PolicyDocument'],
    properties: { Bucket: true, PolicyDocument: true },
    attributes: [],
  },
  'AWS::EC2::SecurityGroup': {
    required: ['GroupDescription'],
    properties: {
      GroupDescription: true,
      GroupName: true,
      SecurityGroupEgress: { items: securityGroupRule('egress') },
      SecurityGroupIngress: { items: securityGroupRule('ingress') },
      Tags: tags,
      VpcId: true,
    },
    attributes: ['GroupId', 'VpcId'],
  },
  'AWS::EC2::SecurityGroupIngress': {
    required: ['IpProtocol'],
    properties: { ...securityGroupRule('ingress').properties, GroupId: true, GroupName: true },
    attributes: ['Id'],
  },
  // From CloudFormation's resource provider schemas (as cfn-lint ships them): the properties, the required ones, and
  // the read-only ones as attributes.
  'AWS::EFS::AccessPoint': {
    required: ['FileSystemId'],
    properties: {
      AccessPointTags: { items: { properties: { Key: true, Value: true } } },
      ClientToken: true,
      FileSystemId: true,
      PosixUser: { required: ['Uid', 'Gid'], properties: { Gid: true, SecondaryGids: true, Uid: true } },
      RootDirectory: {
        properties: {
          CreationInfo: {
            required: ['OwnerUid', 'OwnerGid', 'Permissions'],
            properties: { OwnerGid: true, OwnerUid: true, Permissions: true },
          },
          Path: true,
        },
      },
    },
    attributes: ['AccessPointId', 'Arn'],
  },
  'AWS::Logs::LogGroup': {
    properties: {
      BearerTokenAuthenticationEnabled: true,
      DataProtectionPolicy: true,
      DeletionProtectionEnabled: true,
      FieldIndexPolicies: true,
      KmsKeyId: true,
      LogGroupClass: true,
      LogGroupName: true,
      ResourcePolicyDocument: true,
      RetentionInDays: true,
      Tags: tags,
    },
    attributes: ['Arn'],
  },
  'AWS::Lambda::Function': {
    required: ['Code', 'Role'],
    properties: {
      Architectures: true,
      CapacityProviderConfig: true,
      Code: {
        properties: {
          ImageUri: true,
          S3Bucket: true,
          S3Key: true,
          S3ObjectStorageMode: true,
          S3ObjectVersion: true,
          SourceKMSKeyArn: true,
          ZipFile: true,
        },
      },
      CodeSigningConfigArn: true,
      DeadLetterConfig: true,
      Description: true,
      DurableConfig: true,
      Environment: { properties: { Variables: true } },
      EphemeralStorage: { required: ['Size'], properties: { Size: true } },
      FileSystemConfigs: {
        items: { required: ['Arn', 'LocalMountPath'], properties: { Arn: true, LocalMountPath: true } },
      },
      FunctionName: true,
      FunctionScalingConfig: true,
      Handler: true,
      ImageConfig: true,
      KmsKeyArn: true,
      Layers: true,
      LoggingConfig: {
        properties: { ApplicationLogLevel: true, LogFormat: true, LogGroup: true, SystemLogLevel: true },
      },
      MemorySize: true,
      PackageType: true,
      PublishToLatestPublished: true,
      RecursiveLoop: true,
      ReservedConcurrentExecutions: true,
      Role: true,
      Runtime: true,
      RuntimeManagementConfig: true,
      SnapStart: true,
      Tags: tags,
      TenancyConfig: true,
      Timeout: true,
      TracingConfig: true,
      VpcConfig: { properties: { Ipv6AllowedForDualStack: true, SecurityGroupIds: true, SubnetIds: true } },
    },
    attributes: ['Arn', 'SnapStartResponse'],
  },
};

const PARAMETER_TYPES = new Set([
  'String',
  'Number',
  'CommaDelimitedList',
  'List<Number>',
  'AWS::EC2::VPC::Id',
  'AWS::EC2::Subnet::Id',
  'AWS::EC2::SecurityGroup::Id',
  'List<AWS::EC2::Subnet::Id>',
  'List<AWS::EC2::SecurityGroup::Id>',
]);
const PARAMETER_KEYS = new Set([
  'Type',
  'Default',
  'Description',
  'AllowedPattern',
  'AllowedValues',
  'ConstraintDescription',
  'MinValue',
  'MaxValue',
  'MinLength',
  'MaxLength',
  'NoEcho',
]);
const TEMPLATE_KEYS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
]);
export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::NotificationARNs',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

// ---------------------------------------------------------------------------------------------------------------
// Reading: the short-form tags become the long form (`!Ref X` is `{ Ref: X }`, `!GetAtt A.B` is
// `{ 'Fn::GetAtt': ['A', 'B'] }`, `!Sub s` is `{ 'Fn::Sub': s }`, …).

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
  'RefAll',
  'ValueOf',
  'ValueOfAll',
];

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

export const CFN_TAGS: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', 'GetAtt', ...FUNCTIONS].flatMap(
  (name): (ScalarTag | CollectionTag)[] => {
    const fromNode = (node: YAMLMap.Parsed | YAMLSeq.Parsed) => longForm(name, node.toJSON());
    return [
      { tag: `!${name}`, resolve: (value: string) => longForm(name, value) },
      { tag: `!${name}`, collection: 'seq', resolve: fromNode },
      { tag: `!${name}`, collection: 'map', resolve: fromNode },
    ];
  },
);

export type Template = Record<string, unknown> & {
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Rules?: Record<string, unknown>;
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Condition?: string; DependsOn?: string | string[] }
  >;
  Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string }>;
};

export function parseTemplate(text: string): Template {
  return parse(text, { customTags: CFN_TAGS, uniqueKeys: true, strict: true }) as Template;
}

// ---------------------------------------------------------------------------------------------------------------
// Checking: returns every problem found, as `path: message`.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one key of an intrinsic function object (`Ref`, `Fn::…`, `Condition` inside conditions), or undefined. */
export function intrinsic(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0] ?? '';
  return key === 'Ref' || key.startsWith('Fn::') ? key : undefined;
}

function checkShape(value: unknown, shape: Shape, where: string, problems: string[]): void {
  if (shape === true) return;
  const fn = intrinsic(value);
  if (fn === 'Fn::If') {
    const [, whenTrue, whenFalse] = (value as { 'Fn::If': unknown[] })['Fn::If'];
    for (const branch of [whenTrue, whenFalse]) {
      if (!isObject(branch) || (branch as { Ref?: unknown }).Ref !== 'AWS::NoValue')
        checkShape(branch, shape, where, problems);
    }
    return;
  }
  if (fn) return; // another function's result: not checked structurally
  if ('items' in shape) {
    if (!Array.isArray(value)) {
      problems.push(`${where}: must be a list`);
      return;
    }
    value.forEach((item, i) => {
      checkShape(item, shape.items, `${where}[${i}]`, problems);
    });
    return;
  }
  if (!isObject(value)) {
    problems.push(`${where}: must be an object`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!(key in shape.properties)) problems.push(`${where}: unknown property ${key}`);
  }
  for (const key of shape.required ?? []) {
    if (!(key in value)) problems.push(`${where}: missing required property ${key}`);
  }
  for (const [key, child] of Object.entries(value)) {
    const childShape = shape.properties[key];
    if (childShape !== undefined) checkShape(child, childShape, `${where}.${key}`, problems);
  }
}

/** Every `${Name}` in a Fn::Sub string (without `${!Literal}`). */
export function subVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1] ?? '');
}

export function checkTemplate(template: Template, schemas = RESOURCE_SCHEMAS): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(template))
    if (!TEMPLATE_KEYS.has(key)) problems.push(`template: unknown section ${key}`);
  if (!isObject(template.Resources) || Object.keys(template.Resources).length === 0)
    problems.push('template: no Resources');
  const parameters = template.Parameters ?? {};
  const conditions = template.Conditions ?? {};
  const resources = template.Resources ?? {};

  for (const [name, parameter] of Object.entries(parameters)) {
    for (const key of Object.keys(parameter))
      if (!PARAMETER_KEYS.has(key)) problems.push(`Parameters.${name}: unknown key ${key}`);
    if (!PARAMETER_TYPES.has(String(parameter.Type)))
      problems.push(`Parameters.${name}: unknown Type ${parameter.Type}`);
    const allowed = parameter.AllowedValues as unknown[] | undefined;
    if (allowed && 'Default' in parameter && !allowed.includes(parameter.Default))
      problems.push(`Parameters.${name}: Default is not among AllowedValues`);
    if (typeof parameter.AllowedPattern === 'string' && typeof parameter.Default === 'string') {
      if (!new RegExp(parameter.AllowedPattern).test(parameter.Default))
        problems.push(`Parameters.${name}: Default does not match AllowedPattern`);
    }
  }

  const used = new Set<string>();
  const walk = (node: unknown, where: string, subVars: Set<string> = new Set()): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, `${where}[${i}]`, subVars);
      });
      return;
    }
    if (!isObject(node)) return;
    const fn = intrinsic(node);
    const arg = fn ? node[fn] : undefined;
    if (fn === 'Ref') {
      const target = String(arg);
      used.add(target);
      if (!(target in parameters) && !(target in resources) && !PSEUDO_PARAMETERS.has(target))
        problems.push(`${where}: Ref to unknown ${target}`);
      return;
    }
    if (fn === 'Fn::GetAtt') {
      const [resource, attribute] = arg as [string, string];
      checkGetAtt(resource, attribute, where);
      return;
    }
    if (fn === 'Fn::Sub') {
      const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      for (const variable of subVariables(text)) {
        if (variable in vars) continue;
        const [resource, attribute] = variable.split('.');
        if (attribute !== undefined) checkGetAtt(resource ?? '', attribute, where);
        else if (variable in parameters || variable in resources) used.add(variable);
        else if (!PSEUDO_PARAMETERS.has(variable)) problems.push(`${where}: Fn::Sub of unknown ${variable}`);
      }
      walk(vars, `${where}.Fn::Sub`, subVars);
      return;
    }
    if (fn === 'Fn::If') {
      const [condition] = arg as [string];
      if (!(condition in conditions)) problems.push(`${where}: Fn::If on unknown condition ${condition}`);
    }
    if ('Condition' in node && Object.keys(node).length === 1 && typeof node.Condition === 'string') {
      if (!(node.Condition in conditions)) problems.push(`${where}: unknown condition ${node.Condition}`);
    }
    for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`, subVars);
  };
  const checkGetAtt = (resource: string, attribute: string, where: string) => {
    const type = resources[resource]?.Type;
    if (!type) problems.push(`${where}: GetAtt of unknown resource ${resource}`);
    else if (!schemas[type]?.attributes.includes(attribute))
      problems.push(`${where}: ${type} has no attribute ${attribute}`);
  };

  for (const [name, resource] of Object.entries(resources)) {
    const where = `Resources.${name}`;
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) problems.push(`${where}: unknown key ${key}`);
    const schema = schemas[resource.Type];
    if (!schema) {
      problems.push(`${where}: resource type ${resource.Type} is not in the schema subset`);
      continue;
    }
    checkShape(resource.Properties ?? {}, schema, `${where}.Properties`, problems);
    if (resource.Condition !== undefined && !(resource.Condition in conditions))
      problems.push(`${where}: unknown condition ${resource.Condition}`);
    walk(resource.Properties ?? {}, `${where}.Properties`);
  }
  for (const [name, condition] of Object.entries(conditions)) walk(condition, `Conditions.${name}`);
  for (const [name, rule] of Object.entries((template.Rules ?? {}) as Record<string, unknown>))
    walk(rule, `Rules.${name}`);
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (!('Value' in output)) problems.push(`Outputs.${name}: no Value`);
    if (output.Condition !== undefined && !(output.Condition in conditions))
      problems.push(`Outputs.${name}: unknown condition ${output.Condition}`);
    walk(output.Value, `Outputs.${name}.Value`);
  }
  for (const name of Object.keys(parameters)) if (!used.has(name)) problems.push(`Parameters.${name}: never used`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluating, with given parameter values: what CloudFormation would deploy. Resources and attributes resolve to
// the values given for `Name` and `Name.Attribute`.

export const NO_VALUE = Symbol('AWS::NoValue');

export function evaluate(node: unknown, values: Record<string, string>, template: Template): unknown {
  const conditionValue = (name: string): boolean => {
    const condition = template.Conditions?.[name];
    if (condition === undefined) throw new Error(`unknown condition ${name}`);
    return Boolean(evaluate(condition, values, template));
  };
  const lookup = (name: string): string => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${name}`);
    return value;
  };
  // A CommaDelimitedList parameter is a list of strings: '' is [''] as on CloudFormation.
  const ref = (name: string): string | string[] =>
    template.Parameters?.[name]?.Type === 'CommaDelimitedList' ? lookup(name).split(',') : lookup(name);
  if (Array.isArray(node))
    return node.map((item) => evaluate(item, values, template)).filter((item) => item !== NO_VALUE);
  if (!isObject(node)) return node;
  if ('Condition' in node && Object.keys(node).length === 1 && typeof node.Condition === 'string')
    return conditionValue(node.Condition);
  const fn = intrinsic(node);
  const arg = fn ? node[fn] : undefined;
  const args = () => (arg as unknown[]).map((a) => evaluate(a, values, template));
  switch (fn) {
    case undefined: {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const value = evaluate(child, values, template);
        if (value !== NO_VALUE) out[key] = value;
      }
      return out;
    }
    case 'Ref':
      return arg === 'AWS::NoValue' ? NO_VALUE : ref(String(arg));
    case 'Fn::GetAtt':
      return lookup((arg as string[]).join('.'));
    case 'Fn::Sub': {
      const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const local = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, evaluate(v, values, template)]));
      return substitute(text, { ...values, ...(local as Record<string, string>) });
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return evaluate(conditionValue(condition) ? whenTrue : whenFalse, values, template);
    }
    case 'Fn::Equals': {
      const [a, b] = args();
      return String(a) === String(b);
    }
    case 'Fn::Not':
      return !args()[0];
    case 'Fn::And':
      return args().every(Boolean);
    case 'Fn::Or':
      return args().some(Boolean);
    case 'Fn::Join': {
      const [delimiter, list] = arg as [string, unknown];
      return (evaluate(list, values, template) as string[]).join(delimiter);
    }
    case 'Fn::Split': {
      const [delimiter, text] = arg as [string, unknown];
      return String(evaluate(text, values, template)).split(delimiter);
    }
    case 'Fn::Contains': {
      // Rules only: whether the string is one of the list's.
      const [list, text] = args() as [string[], string];
      return list.includes(text);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      return (evaluate(list, values, template) as unknown[])[Number(index)];
    }
    default:
      throw new Error(`cannot evaluate ${fn}`);
  }
}

/** Replaces every `${Name}` with its value; a name without a value is an error. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}} in ${text}`);
    return value;
  });
}

/** Applies `substitute` to every string of a JSON document (keys included). */
export function substituteAll(node: unknown, values: Record<string, string>): unknown {
  if (typeof node === 'string') return substitute(node, values);
  if (Array.isArray(node)) return node.map((item) => substituteAll(item, values));
  if (isObject(node))
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [substitute(k, values), substituteAll(v, values)]));
  return node;
}

/** The parameter values CloudFormation would use: the defaults, overridden by `given`. */
export function parameterValues(template: Template, given: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if ('Default' in parameter) values[name] = String(parameter.Default);
  }
  return { ...values, ...given };
}

// ---------------------------------------------------------------------------------------------------------------
// A deployment for the tests.

/**
 * What the resources and pseudo parameters resolve to in these tests, for a stack name: CloudFormation names an IAM
 * role or bucket it creates without a name property `<stack>-<LogicalId>-<suffix>` (lowercase for a bucket).
 */
export function sample(stackName = 'efsync'): Record<string, string> {
  const lower = stackName.toLowerCase();
  return {
    'AWS::Partition': 'aws',
    'AWS::Region': 'eu-central-1',
    'AWS::AccountId': '123456789012',
    'AWS::StackName': stackName,
    GitHubOwner: 'acme',
    GitHubRepository: 'ml-service',
    FileSystemId: 'fs-0123456789abcdef0',
    VpcId: 'vpc-0123456789abcdef0',
    MountTargetSecurityGroupId: 'sg-0aaaaaaaaaaaaaaa0',
    SourceBucket: 'ml-models',
    SourcePrefix: 'bert/',
    GitHubOidcProvider: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    'GitHubOidcProvider.Arn': 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    ActionRole: `${stackName}-ActionRole-1`,
    'ActionRole.Arn': `arn:aws:iam::123456789012:role/${stackName}-ActionRole-1`,
    InstanceRole: `${stackName}-InstanceRole-1`,
    'InstanceRole.Arn': `arn:aws:iam::123456789012:role/${stackName}-InstanceRole-1`,
    InstanceProfile: `${stackName}-InstanceProfile-1`,
    StagingBucket: `${lower}-stagingbucket-1`,
    'StagingBucket.Arn': `arn:aws:s3:::${lower}-stagingbucket-1`,
    InstanceSecurityGroup: 'sg-0bbbbbbbbbbbbbbb0',
    'InstanceSecurityGroup.GroupId': 'sg-0bbbbbbbbbbbbbbb0',
    WriterSubnetIds: 'subnet-0aaaaaaaaaaaaaaa0,subnet-0bbbbbbbbbbbbbbb0',
    WriterAccessPoint: 'fsap-0cccccccccccccccc',
    'WriterAccessPoint.Arn': 'arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0cccccccccccccccc',
    WriterLogGroup: `/aws/lambda/${stackName}-writer`,
    'WriterLogGroup.Arn': `arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/${stackName}-writer:*`,
    WriterRole: `${stackName}-WriterRole-1`,
    'WriterRole.Arn': `arn:aws:iam::123456789012:role/${stackName}-WriterRole-1`,
    WriterSecurityGroup: 'sg-0ccccccccccccccc0',
    'WriterSecurityGroup.GroupId': 'sg-0ccccccccccccccc0',
    Writer: `${stackName}-writer`,
    'Writer.Arn': `arn:aws:lambda:eu-central-1:123456789012:function:${stackName}-writer`,
  };
}

/** The resource properties that name a resource (its Ref), when the template sets them. */
export const NAME_PROPERTIES: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

/** The sample of the default stack name, efsync (the quick start's). */
export const SAMPLE: Record<string, string> = sample();

export function deployed(
  template: Template,
  given: Record<string, string> = {},
): {
  values: Record<string, string>;
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
} {
  const values = parameterValues(template, { ...sample(given['AWS::StackName']), ...given });
  // A resource the template names: its Ref is that name (evaluated first: names depend on parameters only).
  for (const [name, resource] of Object.entries(template.Resources)) {
    const property = NAME_PROPERTIES[resource.Type];
    const named = property === undefined ? undefined : resource.Properties?.[property];
    if (named !== undefined && !(name in given)) values[name] = String(evaluate(named, values, template));
  }
  const resources: Record<string, { Type: string; Properties: Record<string, unknown> }> = {};
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Condition && !evaluate({ Condition: resource.Condition }, values, template)) continue;
    resources[name] = {
      Type: resource.Type,
      Properties: evaluate(resource.Properties ?? {}, values, template) as Record<string, unknown>,
    };
  }
  // An output with a condition exists only where the condition holds, as a resource does.
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {})
      .filter(([, output]) => !output.Condition || evaluate({ Condition: output.Condition }, values, template))
      .map(([name, output]) => [name, evaluate(output.Value, values, template)]),
  );
  return { values, resources, outputs };
}
