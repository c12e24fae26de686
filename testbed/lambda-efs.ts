// Whether a function's execution environment can mount its file system, judged from what moto stores, and what it
// mounts: the access point's root directory, as the access point's POSIX user.
//
// Lambda mounts the file system through the access point, with TLS and IAM authorization as the function's execution
// role, which needs elasticfilesystem:ClientMount (and ClientWrite to write) from its own policies or the file system
// policy; the mount target's security group must admit NFS (TCP 2049) from the function's security group, the
// function's group must let it out, and the function and the mount target must be in the same Availability Zone
// ("How do I troubleshoot errors when I invoke a Lambda function with Amazon EFS integration?",
// https://repost.aws/knowledge-center/lambda-invoke-efs; "Configuring file system access for Lambda functions",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-filesystem.html). Invoke answers what could not be done
// ("Troubleshoot invocation issues in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html):
// - EFSMountConnectivityException (408): no network connection to a mount target on TCP 2049 (security groups, no
//   mount target in the function's Availability Zone);
// - EFSMountFailureException (403): a permission or configuration issue (the file system policy or the role refuses
//   ClientMount; the access point does not exist, or its root directory does not and it has no CreationInfo);
// - EFSMountTimeoutException (408): connected, but the mount timed out (a file system the bed made unreachable).
// What the file system policy and the role allow is the bed's EFS judge (efs-access.ts), as for an instance mounting
// with `tls,iam`. A mount without ClientWrite is read-only.
import fs from 'node:fs';
import path from 'node:path';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
} from '@aws-sdk/client-efs';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { clientAccess } from './efs-access.ts';
import { DefinitionError, type FunctionDefinition } from './lambda-functions.ts';

export interface Mount {
  /** The access point's root directory in the bed's copy of the file system. */
  source: string;
  localMountPath: string;
  readOnly: boolean;
  uid: number;
  gid: number;
  secondaryGids: number[];
  /**
   * Root on the file system: the access point's user is uid 0 and the file system lets it stay root
   * (elasticfilesystem:ClientRootAccess, or no file system policy: efs-access.ts). Root on an NFS file system may
   * change owners and is not held to files' modes, as the server decides for the request's identity; the Linux NFS
   * client leaves those checks to the server, so the function's own lack of capabilities does not matter there.
   */
  root: boolean;
}

export class MountError extends Error {
  readonly code: 'EFSMountConnectivityException' | 'EFSMountFailureException' | 'EFSMountTimeoutException';
  constructor(code: MountError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface EfsClients {
  ec2: EC2Client;
  efs: EFSClient;
  iam: IAMClient;
}

/** TCP 2049 from one of the groups, or from an address range that holds the subnet. */
function admitsNfs(rule: IpPermission, groups: string[], cidr: string): boolean {
  const protocol = rule.IpProtocol === '-1' || rule.IpProtocol === 'tcp' || rule.IpProtocol === '6';
  const port = rule.IpProtocol === '-1' || ((rule.FromPort ?? 0) <= 2049 && 2049 <= (rule.ToPort ?? 65535));
  if (!protocol || !port) return false;
  if ((rule.UserIdGroupPairs ?? []).some((p) => p.GroupId && groups.includes(p.GroupId))) return true;
  return (rule.IpRanges ?? []).some((r) => within(cidr, r.CidrIp ?? ''));
}

/** Whether CIDR block `inner` lies inside `outer`. */
function within(inner: string, outer: string): boolean {
  const [base = '', bits = '32'] = inner.split('/');
  const [obase = '', obits = '32'] = outer.split('/');
  if (Number(bits) < Number(obits)) return false;
  const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(obits));
  return Math.floor(toInt(base) / size) === Math.floor(toInt(obase) / size);
}

/** The inline and attached policy documents of a role, by ARN. */
export async function rolePolicies(iam: IAMClient, roleArn: string): Promise<string[]> {
  const roleName = roleArn.split('/').pop() ?? '';
  const policies: string[] = [];
  try {
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    for (const PolicyName of inline.PolicyNames ?? []) {
      const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
      if (got.PolicyDocument) policies.push(got.PolicyDocument);
    }
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    for (const { PolicyArn } of attached.AttachedPolicies ?? []) {
      const version = (await iam.send(new GetPolicyCommand({ PolicyArn }))).Policy?.DefaultVersionId;
      const document = (await iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: version }))).PolicyVersion
        ?.Document;
      if (document) policies.push(document);
    }
  } catch {
    return []; // a role IAM does not know has no policies
  }
  return policies;
}

/**
 * CreateFunction's own check: a mount target in every Availability Zone of the function's subnets, else
 * InvalidParameterValueException, "EFS file system … referenced by access point … does not have mount targets created
 * in all availability zones the function will execute in. Please create EFS mount targets in availability zones where
 * the function has a corresponding subnet provided." (Lambda's answer as quoted on re:Post,
 * https://repost.aws/questions/QUad7ebVZrRGOv96EfOCiWMw; "Create a file system in Amazon EFS with a mount target in
 * every Availability Zone that your function connects to", Configuring file system access for Lambda functions).
 */
export async function checkMountTargets(clients: EfsClients, definition: FunctionDefinition): Promise<void> {
  for (const config of definition.fileSystems) {
    const apId = /access-point\/(fsap-[0-9a-f]+)$/.exec(config.arn)?.[1];
    const ap = apId
      ? await clients.efs
          .send(new DescribeAccessPointsCommand({ AccessPointId: apId }))
          .then((a) => a.AccessPoints?.[0])
          .catch(() => undefined)
      : undefined;
    if (!ap?.FileSystemId)
      throw new DefinitionError('InvalidParameterValueException', `Access point ${config.arn} does not exist.`);
    const fsId = ap.FileSystemId;
    const system = (await clients.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fsId }))).FileSystems?.[0];
    const targets =
      (await clients.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fsId }))).MountTargets ?? [];
    const zones = new Set(targets.map((t) => t.AvailabilityZoneName));
    const subnets = definition.vpc?.subnetIds.length
      ? ((await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: definition.vpc.subnetIds }))).Subnets ?? [])
      : [];
    if (subnets.some((s) => !zones.has(s.AvailabilityZone)))
      throw new DefinitionError(
        'InvalidParameterValueException',
        `EFS file system ${system?.FileSystemArn ?? fsId} referenced by access point ${config.arn} does not have mount targets created in all availability zones the function will execute in. Please create EFS mount targets in availability zones where the function has a corresponding subnet provided.`,
      );
  }
}

/** Judges each of a function's file systems, and returns what its environment mounts, or throws a MountError. */
export async function mountsOf(
  clients: EfsClients,
  definition: FunctionDefinition,
  efsRoot: string,
  unreachable: Set<string>,
): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const config of definition.fileSystems) {
    const arn = config.arn;
    const which = `with access point ${arn}`;
    const failure = new MountError(
      'EFSMountFailureException',
      `The function could not mount the Amazon EFS file system ${which}. Check your function's permissions and that the file system and access point exist, and try again.`,
    );
    const apId = /access-point\/(fsap-[0-9a-f]+)$/.exec(arn)?.[1];
    if (!apId) throw failure;
    const ap = await clients.efs
      .send(new DescribeAccessPointsCommand({ AccessPointId: apId }))
      .then((a) => a.AccessPoints?.[0])
      .catch(() => undefined);
    const fsId = ap?.FileSystemId ?? '';
    if (!ap?.PosixUser) throw failure;
    const system = (await clients.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fsId }))).FileSystems?.[0];
    // Network: a mount target in each of the function's subnets' zones, whose groups admit NFS from the function's.
    const groups = definition.vpc?.securityGroupIds ?? [];
    const targets =
      (await clients.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fsId }))).MountTargets ?? [];
    const connectivity = new MountError(
      'EFSMountConnectivityException',
      `The function couldn't connect to the Amazon EFS file system ${which}. Check your network configuration and try again.`,
    );
    const describe = async (GroupIds: string[]) =>
      GroupIds.length
        ? ((await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds }))).SecurityGroups ?? [])
        : [];
    const own = await describe(groups);
    for (const subnetId of definition.vpc?.subnetIds ?? []) {
      const subnet = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0];
      const target = targets.find((t) => t.AvailabilityZoneName === subnet?.AvailabilityZone);
      if (!subnet || !target?.MountTargetId) throw connectivity;
      const theirs =
        (await clients.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: target.MountTargetId })))
          .SecurityGroups ?? [];
      const found = await describe(theirs);
      const targetCidr = `${target.IpAddress ?? '0.0.0.0'}/32`;
      const inbound = found.some((g) =>
        (g.IpPermissions ?? []).some((r) => admitsNfs(r, groups, subnet.CidrBlock ?? '')),
      );
      const outbound = own.some((g) => (g.IpPermissionsEgress ?? []).some((r) => admitsNfs(r, theirs, targetCidr)));
      if (!inbound || !outbound) throw connectivity;
    }
    if (unreachable.has(fsId))
      throw new MountError(
        'EFSMountTimeoutException',
        `The function timed out while mounting the Amazon EFS file system ${which}.`,
      );
    const policy = await clients.efs
      .send(new DescribeFileSystemPolicyCommand({ FileSystemId: fsId }))
      .then((answer) => answer.Policy)
      .catch(() => undefined);
    const access = clientAccess(system?.FileSystemArn ?? '', policy, {
      tls: true,
      roleArn: definition.role,
      identityPolicies: await rolePolicies(clients.iam, definition.role),
    });
    if (access === 'denied') throw failure;
    // EFS creates an access point's root directory on first mount, owned and permitted as its CreationInfo says;
    // without CreationInfo a missing root directory fails the mount (EFS User Guide, "Creating the root directory for
    // an access point", https://docs.aws.amazon.com/efs/latest/ug/enforce-root-directory-access-point.html).
    const source = path.join(efsRoot, fsId, ap.RootDirectory?.Path ?? '/');
    if (!fs.existsSync(source)) {
      const info = ap.RootDirectory?.CreationInfo;
      if (!info) throw failure;
      fs.mkdirSync(source, { recursive: true });
      fs.chownSync(source, info.OwnerUid ?? 0, info.OwnerGid ?? 0);
      fs.chmodSync(source, Number.parseInt(info.Permissions ?? '755', 8));
    }
    // A squashed root is the anonymous user, 65534 (EFS User Guide, "Enable root squashing using IAM
    // authorization for NFS clients": "root squashing ... the NFS client is treated as the anonymous user").
    const squashed = (ap.PosixUser.Uid ?? 0) === 0 && access === 'root-squashed';
    mounts.push({
      source,
      localMountPath: config.localMountPath,
      readOnly: access === 'read-only',
      uid: squashed ? 65534 : (ap.PosixUser.Uid ?? 0),
      gid: squashed ? 65534 : (ap.PosixUser.Gid ?? 0),
      secondaryGids: ap.PosixUser.SecondaryGids ?? [],
      root: (ap.PosixUser.Uid ?? 0) === 0 && access === 'full',
    });
  }
  return mounts;
}
