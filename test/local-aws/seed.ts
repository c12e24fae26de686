// A realistic account in moto: a VPC with two subnets in two AZs that route to S3 through a gateway endpoint on the
// VPC's main route table (as the README's private subnets are set up), security groups that let the instance reach
// NFS, an EFS file system with a mount target and an access point, the IAM roles and instance profile, and the
// staging and source buckets.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
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
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ISSUER, REPOSITORY } from './oidc.ts';

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
}

/** The model files the source bucket holds under sourcePrefix. */
export const SOURCE_OBJECTS: Record<string, string> = {
  'config.json': '{"model_type": "bert", "hidden_size": 768}\n',
  'vocab.txt': '[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n',
  'weights/part-0001.bin': 'w'.repeat(64 * 1024),
};

export async function seed(motoEndpoint: string, region: string): Promise<Seeded> {
  const config = {
    endpoint: motoEndpoint,
    region,
    credentials: { accessKeyId: 'testbed', secretAccessKey: 'testbed' },
  };
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
  const instanceSg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'efsync-instance', Description: 'efsync instances', VpcId: vpcId }),
  );
  const mountSg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'efs-mount-target', Description: 'EFS mount targets', VpcId: vpcId }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: mountSg.GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: instanceSg.GroupId }] },
      ],
    }),
  );

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

  const ec2Trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  await iam.send(
    new CreateRoleCommand({ RoleName: 'efsync-instance', AssumeRolePolicyDocument: JSON.stringify(ec2Trust) }),
  );
  await iam.send(
    new AttachRolePolicyCommand({
      RoleName: 'efsync-instance',
      PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    }),
  );
  // What infra/efsync.yaml grants the instance role on the file system (mount, write, root).
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'efsync-instance',
      PolicyName: 'efs-client',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'elasticfilesystem:ClientMount',
              'elasticfilesystem:ClientWrite',
              'elasticfilesystem:ClientRootAccess',
            ],
            Resource: fileSystem.FileSystemArn,
          },
        ],
      }),
    }),
  );
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'efsync-instance' }));
  await iam.send(
    new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'efsync-instance', RoleName: 'efsync-instance' }),
  );
  const provider = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: ISSUER,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['0'.repeat(40)],
    }),
  );
  const oidcTrust = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: provider.OpenIDConnectProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': `repo:${REPOSITORY}:*` },
        },
      },
    ],
  };
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: 'efsync-action', AssumeRolePolicyDocument: JSON.stringify(oidcTrust) }),
  );

  const stagingBucket = 'efsync-staging';
  const sourceBucket = 'efsync-models';
  const sourcePrefix = 'models/bert/';
  for (const bucket of [stagingBucket, sourceBucket]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [key, body] of Object.entries(SOURCE_OBJECTS)) {
    await s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: `${sourcePrefix}${key}`, Body: body }));
  }
  for (const client of [ec2, efs, iam, s3]) client.destroy();
  return {
    fileSystemId,
    accessPointId: accessPoint.AccessPointId ?? '',
    vpcId,
    routeTableId,
    subnetIds,
    instanceSecurityGroupId: instanceSg.GroupId ?? '',
    mountTargetSecurityGroupId: mountSg.GroupId ?? '',
    instanceProfile: 'efsync-instance',
    roleArn: role.Role?.Arn ?? '',
    stagingBucket,
    sourceBucket,
    sourcePrefix,
  };
}
