// What an instance's sandbox knows of EFS, read from moto before each command runs: the file systems and access
// points the mount shim binds, the names the instance can resolve, and what each kind of mount may do.
import {
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import {
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { partition } from '@aws-sdk/core/client';
import { clientAccess } from './efs-access.ts';
import { motoAdmin } from './moto.ts';
import type { InstanceEfsView, Sandboxes } from './sandbox.ts';

export class EfsNetwork {
  private readonly ec2: EC2Client;
  private readonly efs: EFSClient;
  private readonly iam: IAMClient;
  private readonly region: string;

  constructor(motoEndpoint: string, region: string) {
    const config = motoAdmin(motoEndpoint, region);
    this.ec2 = new EC2Client(config);
    this.efs = new EFSClient(config);
    this.iam = new IAMClient(config);
    this.region = region;
  }

  destroy(): void {
    for (const client of [this.ec2, this.efs, this.iam]) client.destroy();
  }

  /** Mirrors the file systems and access points into the directories the mount shim reads. */
  async sync(sandboxes: Sandboxes): Promise<FileSystemDescription[]> {
    const systems = (await this.efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    const points = (await this.efs.send(new DescribeAccessPointsCommand({}))).AccessPoints ?? [];
    sandboxes.syncFileSystems(
      systems.map((s) => s.FileSystemId ?? ''),
      points.map((p) => ({
        id: p.AccessPointId ?? '',
        fs: p.FileSystemId ?? '',
        root: p.RootDirectory?.Path ?? '/',
        ...(p.RootDirectory?.CreationInfo && {
          uid: p.RootDirectory.CreationInfo.OwnerUid,
          gid: p.RootDirectory.CreationInfo.OwnerGid,
          perms: p.RootDirectory.CreationInfo.Permissions,
        }),
      })),
    );
    return systems;
  }

  /** Syncs, then writes what this instance resolves and what its mounts may do. */
  async prepare(sandboxes: Sandboxes, instanceId: string): Promise<void> {
    const systems = await this.sync(sandboxes);
    const instance = (await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
      .Reservations?.[0]?.Instances?.[0];
    const az = instance?.Placement?.AvailabilityZone;
    const identity = await this.identityPolicies(instance?.IamInstanceProfile?.Arn);
    const view: InstanceEfsView = { hosts: [], mountTargets: [], access: [] };
    const suffix = partition(this.region).dnsSuffix;
    for (const system of systems) {
      const id = system.FileSystemId ?? '';
      const targets = (await this.efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets ?? [];
      for (const target of targets) {
        if (!target.IpAddress) continue;
        view.mountTargets.push({ ip: target.IpAddress, fileSystemId: id });
        // "DNS resolution for file system DNS names requires that the Amazon EFS file system has a mount target in
        // the same Availability Zone as the client instance" (EFS User Guide, mounting-fs-mount-cmd-dns-name), and
        // the VPC must have DNS support and DNS hostnames on (EFS User Guide, troubleshooting-efs-mounting,
        // "File system DNS name resolution failure").
        if (target.AvailabilityZoneName === az && (await this.dnsOn(target.SubnetId))) {
          view.hosts.push({ ip: target.IpAddress, name: `${id}.efs.${this.region}.${suffix}` });
        }
      }
      const policy = await this.efs
        .send(new DescribeFileSystemPolicyCommand({ FileSystemId: id }))
        .then((answer) => answer.Policy)
        .catch(() => undefined);
      const arn = system.FileSystemArn ?? '';
      for (const tls of [false, true]) {
        for (const iam of [false, true]) {
          const client = { tls, roleArn: iam ? identity.roleArn : undefined, identityPolicies: identity.policies };
          view.access.push({ fileSystemId: id, tls, iam, access: clientAccess(arn, policy, client) });
        }
      }
    }
    sandboxes.prepareInstance(instanceId, view);
  }

  private async dnsOn(subnetId: string | undefined): Promise<boolean> {
    const vpcId = (await this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId ?? ''] }))).Subnets?.[0]
      ?.VpcId;
    const attribute = async (Attribute: 'enableDnsSupport' | 'enableDnsHostnames') =>
      await this.ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
    const support = (await attribute('enableDnsSupport')).EnableDnsSupport?.Value;
    const hostnames = (await attribute('enableDnsHostnames')).EnableDnsHostnames?.Value;
    return support === true && hostnames === true;
  }

  /** The instance role's ARN and its inline and attached policy documents. */
  private async identityPolicies(profileArn: string | undefined): Promise<{ roleArn?: string; policies: string[] }> {
    const name = profileArn?.split('/').pop();
    if (!name) return { policies: [] };
    const role = (await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile
      ?.Roles?.[0];
    if (!role?.RoleName) return { policies: [] };
    const policies: string[] = [];
    const inline = await this.iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }));
    for (const policyName of inline.PolicyNames ?? []) {
      const got = await this.iam.send(new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName: policyName }));
      if (got.PolicyDocument) policies.push(got.PolicyDocument);
    }
    const attached = await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }));
    for (const { PolicyArn } of attached.AttachedPolicies ?? []) {
      const version = (await this.iam.send(new GetPolicyCommand({ PolicyArn }))).Policy?.DefaultVersionId;
      const document = (await this.iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: version })))
        .PolicyVersion?.Document;
      if (document) policies.push(document);
    }
    return { ...(role.Arn && { roleArn: role.Arn }), policies };
  }
}
