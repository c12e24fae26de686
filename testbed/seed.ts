// A realistic account in moto: a VPC with two subnets in two AZs that route to S3 through a gateway endpoint on the
// VPC's main route table and reach SSM through interface endpoints (as the README's private subnets are set up), the
// mount targets' security group, an EFS file system with a mount target and an access point, the account's GitHub OIDC provider and a source bucket; then one or
// two deployments of infra/efsync.yaml (stacks.ts), each with what its template creates: the action role (its trust
// and inline policy as rendered), the instance role and profile, the staging bucket and the instance security group
// with its NFS rule on the mount targets' group.
//
// The second stack is another repository's publisher on the same account: its own action role trusted by that
// repository's OIDC subject, its own instance role, profile, security group and staging bucket, and the same VPC and
// file system. Sharing the file system is the harder case for isolation, and a real one (two repositories publishing
// different targets onto one shared file system): the two action roles then have the same EFS permissions, and only
// the stack tag keeps one stack's role off the other's instances.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { actionAccessKey } from './iam-eval.ts';
import { motoAdmin } from './moto.ts';
import { ISSUER, REPOSITORY, SECOND_REPOSITORY } from './oidc.ts';
import { ACCOUNT, type PolicyDocument, type RenderedStack, renderStack } from './stacks.ts';

export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
export const SECOND_STACK = 'efsync-other';

/** One deployment of infra/efsync.yaml. */
export interface SeededStack {
  stackName: string;
  /** The repository (owner/name) whose OIDC subject the action role trusts. */
  repository: string;
  roleArn: string;
  instanceRoleArn: string;
  instanceProfile: string;
  instanceSecurityGroupId: string;
  /** The writer function's name (the template's WriterFunction output). */
  writerFunction: string;
  stagingBucket: string;
  /** The static key the bed evaluates as this stack's action role (iam-eval.ts). */
  actionAccessKeyId: string;
}

export interface Seeded {
  fileSystemId: string;
  accessPointId: string;
  vpcId: string;
  /** The VPC's main route table, which both subnets use (they have no explicit association). */
  routeTableId: string;
  subnetIds: string[];
  instanceSecurityGroupId: string;
  mountTargetSecurityGroupId: string;
  instanceProfile: string;
  roleArn: string;
  stagingBucket: string;
  sourceBucket: string;
  sourcePrefix: string;
  /** The first stack's name; its role, profile, group and bucket are the fields above. */
  stackName: string;
  actionAccessKeyId: string;
  /** Every stack by name, the first one included. */
  stacks: Record<string, SeededStack>;
}

interface Shared {
  vpcId: string;
  subnetIds: string[];
  routeTableId: string;
  mountTargetSecurityGroupId: string;
  fileSystemId: string;
}

export interface SeedOptions {
  /** The first stack's name (default efsync). */
  stackName?: string;
  /** A second stack for another repository (default efsync-other for efsync-test/other-service), or false. */
  second?: { stackName?: string; repository?: string } | false;
  /** Called with each stack as rendered, before it is created. */
  rendered?: (stack: RenderedStack) => void;
}

/** The model files the source bucket holds under sourcePrefix. */
export const SOURCE_OBJECTS: Record<string, string> = {
  'config.json': '{"model_type": "bert", "hidden_size": 768}\n',
  'vocab.txt': '[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n',
  'weights/part-0001.bin': 'w'.repeat(64 * 1024),
};

export async function seed(motoEndpoint: string, region: string, options: SeedOptions = {}): Promise<Seeded> {
  const config = motoAdmin(motoEndpoint, region);
  const ec2 = new EC2Client(config);
  const efs = new EFSClient(config);
  const iam = new IAMClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });

  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  // A new VPC has DNS hostnames off (VPC User Guide, "DNS attributes for your VPC"); EFS DNS names need them on.
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  const subnetIds: string[] = [];
  for (const [i, az] of [`${region}a`, `${region}b`].entries()) {
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i + 1}.0/24`, AvailabilityZone: az }),
    );
    subnetIds.push(subnet.Subnet?.SubnetId ?? '');
  }
  // The subnets reach S3 as the README's private subnets do: a gateway endpoint on their route table, which AWS (and
  // moto) gives a route to S3's prefix list (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
  const mainTable = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  const routeTableId = mainTable.RouteTables?.[0]?.RouteTableId ?? '';
  await ec2.send(
    new CreateVpcEndpointCommand({
      VpcId: vpcId,
      VpcEndpointType: 'Gateway',
      ServiceName: `com.amazonaws.${region}.s3`,
      RouteTableIds: [routeTableId],
    }),
  );
  const mountSg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'efs-mount-target', Description: 'EFS mount targets', VpcId: vpcId }),
  );
  await seedSsmEndpoints(ec2, region, vpcId, subnetIds);

  const fileSystem = await efs.send(new CreateFileSystemCommand({ CreationToken: 'efsync-testbed', Encrypted: true }));
  const fileSystemId = fileSystem.FileSystemId ?? '';
  await efs.send(
    new CreateMountTargetCommand({
      FileSystemId: fileSystemId,
      SubnetId: subnetIds[0],
      SecurityGroups: [mountSg.GroupId ?? ''],
    }),
  );
  const accessPoint = await efs.send(
    new CreateAccessPointCommand({
      ClientToken: 'efsync-testbed-lambda',
      FileSystemId: fileSystemId,
      PosixUser: { Uid: 1000, Gid: 1000 },
      RootDirectory: { Path: '/lambda', CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '755' } },
    }),
  );

  const provider = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: ISSUER,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['0'.repeat(40)],
    }),
  );
  const shared: Shared = {
    vpcId,
    subnetIds,
    routeTableId,
    mountTargetSecurityGroupId: mountSg.GroupId ?? '',
    fileSystemId,
  };
  if (provider.OpenIDConnectProviderArn !== OIDC_PROVIDER_ARN)
    throw new Error(`unexpected ${provider.OpenIDConnectProviderArn}`);

  const sourceBucket = 'efsync-models';
  const sourcePrefix = 'models/bert/';
  await s3.send(new CreateBucketCommand({ Bucket: sourceBucket }));
  for (const [key, body] of Object.entries(SOURCE_OBJECTS)) {
    await s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: `${sourcePrefix}${key}`, Body: body }));
  }
  const clients = { ec2, efs, iam, s3 };
  const main = await seedStack(clients, region, shared, options, {
    stackName: options.stackName ?? 'efsync',
    repository: REPOSITORY,
    stagingBucket: 'efsync-staging',
    // The whole source bucket (the template's SourcePrefix "empty for the whole bucket"): the tests read more than one
    // prefix of it.
    source: { bucket: sourceBucket, prefix: '' },
    createsOidcProvider: true,
  });
  const stacks: Record<string, SeededStack> = { [main.stackName]: main };
  if (options.second !== false) {
    const second = await seedStack(clients, region, shared, options, {
      stackName: options.second?.stackName ?? SECOND_STACK,
      repository: options.second?.repository ?? SECOND_REPOSITORY,
      // The account's one GitHub provider already exists (CreateOidcProvider=false, as the template says for a
      // second stack).
      createsOidcProvider: false,
    });
    stacks[second.stackName] = second;
  }
  for (const client of [ec2, efs, iam, s3]) client.destroy();
  return {
    fileSystemId,
    accessPointId: accessPoint.AccessPointId ?? '',
    vpcId,
    routeTableId,
    subnetIds,
    instanceSecurityGroupId: main.instanceSecurityGroupId,
    mountTargetSecurityGroupId: mountSg.GroupId ?? '',
    instanceProfile: main.instanceProfile,
    roleArn: main.roleArn,
    stagingBucket: main.stagingBucket,
    sourceBucket,
    sourcePrefix,
    stackName: main.stackName,
    actionAccessKeyId: main.actionAccessKeyId,
    stacks,
  };
}

/**
 * The subnets reach SSM as the README's private subnets do: interface endpoints for ssm, ssmmessages and ec2messages
 * with private DNS, in both subnets, whose group admits HTTPS from the VPC ("Improve the security of EC2 instances by
 * using VPC endpoints for Systems Manager", https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html).
 * Without them no instance comes Online on the bed (routes.ts), as on AWS.
 */
async function seedSsmEndpoints(ec2: EC2Client, region: string, vpcId: string, subnetIds: string[]): Promise<void> {
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'vpc-endpoints', Description: 'HTTPS to VPC endpoints', VpcId: vpcId }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: group.GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.20.0.0/16' }] }],
    }),
  );
  for (const service of ['ssm', 'ssmmessages', 'ec2messages']) {
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        VpcEndpointType: 'Interface',
        ServiceName: `com.amazonaws.${region}.${service}`,
        SubnetIds: subnetIds,
        SecurityGroupIds: [group.GroupId ?? ''],
        PrivateDnsEnabled: true,
      }),
    );
  }
}

/** A role as the stack renders it: its trust, the AWS managed policies it attaches, and its inline policies. */
async function createRole(iam: IAMClient, role: RenderedStack['instanceRole']): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: JSON.stringify(role.trust) }));
  for (const arn of role.managed) await iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: arn }));
  await putInline(iam, role);
}

/**
 * The writer function's security group (egress as the template's WriterSecurityGroup: 443 anywhere, 2049 to the mount
 * targets), the mount targets' NFS rule from it (MountTargetNfsFromWriter), and its access point: the file system's
 * root as uid and gid 0 (WriterAccessPoint).
 */
async function seedWriter(
  clients: { ec2: EC2Client; efs: EFSClient },
  shared: Shared,
  stackName: string,
): Promise<{ groupId: string; accessPointId: string }> {
  const { ec2, efs } = clients;
  const group = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `${stackName}-writer`,
      Description: 'efsync writer function - no inbound; HTTPS to S3, NFS to the mount targets',
      VpcId: shared.vpcId,
    }),
  );
  const groupId = group.GroupId ?? '';
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: shared.mountTargetSecurityGroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: groupId }] }],
    }),
  );
  const point = await efs.send(
    new CreateAccessPointCommand({
      ClientToken: `${stackName}-writer`,
      FileSystemId: shared.fileSystemId,
      PosixUser: { Uid: 0, Gid: 0 },
      RootDirectory: { Path: '/' },
      Tags: [{ Key: 'managed-by', Value: 'efsync' }],
    }),
  );
  return { groupId, accessPointId: point.AccessPointId ?? '' };
}

/**
 * Creates what infra/efsync.yaml creates for one stack, from the template as rendered with this account's values: the
 * instance security group (its tags, its egress, and the NFS rule on the mount targets' group), the instance role
 * (trust, managed and inline policies), its profile, the action role (trust and inline policies) and the staging
 * bucket.
 */
async function seedStack(
  clients: { ec2: EC2Client; efs: EFSClient; iam: IAMClient; s3: S3Client },
  region: string,
  shared: Shared,
  options: SeedOptions,
  stack: {
    stackName: string;
    repository: string;
    stagingBucket?: string;
    source?: { bucket: string; prefix: string };
    createsOidcProvider: boolean;
  },
): Promise<SeededStack> {
  const { ec2, iam, s3 } = clients;
  const [owner = '', name = ''] = stack.repository.split('/');
  const group = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `${stack.stackName}-instance`,
      Description: `${stack.stackName} instances`,
      VpcId: shared.vpcId,
    }),
  );
  const groupId = group.GroupId ?? '';
  const writer = await seedWriter(clients, shared, stack.stackName);
  const rendered = renderStack(
    stack.stackName,
    region,
    {
      GitHubOwner: owner,
      GitHubRepository: name,
      FileSystemId: shared.fileSystemId,
      VpcId: shared.vpcId,
      MountTargetSecurityGroupId: shared.mountTargetSecurityGroupId,
      CreateOidcProvider: String(stack.createsOidcProvider),
      SourceBucket: stack.source?.bucket ?? '',
      SourcePrefix: stack.source?.prefix ?? '',
      // The instance types the tests launch besides the families of instance-type auto, where the template restricts
      // them (ExtraInstanceTypes; ignored by a template without it).
      ExtraInstanceTypes: 't3.*,c7i.*,m7i.*',
      // A second stack names its own profile (one name per account); the first keeps the template's default.
      ...(!stack.createsOidcProvider && { InstanceProfileName: `${stack.stackName}-instance` }),
      // The writer function's subnets: those of the file system's mount targets (one, in the first zone).
      WriterSubnetIds: shared.subnetIds[0] ?? '',
    },
    {
      ...(stack.stagingBucket && { stagingBucket: stack.stagingBucket }),
      securityGroupId: groupId,
      securityGroups: { WriterSecurityGroup: writer.groupId },
      accessPoints: { WriterAccessPoint: writer.accessPointId },
    },
  );
  options.rendered?.(rendered);
  if (rendered.securityGroup.tags.length)
    await ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: rendered.securityGroup.tags }));
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: shared.mountTargetSecurityGroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: groupId }] }],
    }),
  );

  const { instanceRole, actionRole } = rendered;
  await createRole(iam, instanceRole);
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: rendered.instanceProfile }));
  await iam.send(
    new AddRoleToInstanceProfileCommand({ InstanceProfileName: rendered.instanceProfile, RoleName: instanceRole.name }),
  );
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: actionRole.name, AssumeRolePolicyDocument: JSON.stringify(actionRole.trust) }),
  );
  await putInline(iam, actionRole);
  // The execution roles of the stack's Lambda functions (lambda-functions.ts).
  for (const functionRole of rendered.functionRoles) await createRole(iam, functionRole);
  await s3.send(new CreateBucketCommand({ Bucket: rendered.stagingBucket }));
  return {
    stackName: stack.stackName,
    repository: stack.repository,
    roleArn: role.Role?.Arn ?? actionRole.arn,
    instanceRoleArn: instanceRole.arn,
    instanceProfile: rendered.instanceProfile,
    instanceSecurityGroupId: groupId,
    writerFunction: rendered.values.Writer ?? '',
    stagingBucket: rendered.stagingBucket,
    actionAccessKeyId: actionAccessKey(stack.stackName),
  };
}

/** Puts a role's rendered inline policies into moto's IAM, each replacing the one of its name. */
async function putInline(
  iam: IAMClient,
  role: { name: string; policies: { name: string; document: PolicyDocument }[] },
): Promise<void> {
  for (const policy of role.policies) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role.name,
        PolicyName: policy.name,
        PolicyDocument: JSON.stringify(policy.document),
      }),
    );
  }
}

/** Replaces the inline policies of a stack's roles in moto's IAM with the ones rendered (a stack update). */
export async function putRolePolicies(motoEndpoint: string, region: string, stack: RenderedStack): Promise<void> {
  const iam = new IAMClient(motoAdmin(motoEndpoint, region));
  try {
    for (const role of [stack.actionRole, stack.instanceRole, ...stack.functionRoles]) await putInline(iam, role);
  } finally {
    iam.destroy();
  }
}

/** One inline policy of a role in moto's IAM, put by an administrator. */
export async function putRolePolicy(
  motoEndpoint: string,
  region: string,
  role: string,
  name: string,
  document: Record<string, unknown> | undefined,
): Promise<void> {
  const iam = new IAMClient(motoAdmin(motoEndpoint, region));
  try {
    if (document)
      await iam.send(
        new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(document) }),
      );
    else await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
  } finally {
    iam.destroy();
  }
}
