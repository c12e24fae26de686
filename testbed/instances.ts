// Which EC2 instances exist, as moto knows them, and which of them SSM would see Online.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { ImageRoot } from './disk.ts';
import type { Faults } from './faults.ts';
import type { InstanceMetadata } from './imds.ts';
import { motoAdmin } from './moto.ts';
import { quotaRefusal } from './quotas.ts';
import { reachesRepos, reachesS3, reachesSsm } from './routes.ts';
import { type Refusal, zoneRefusal } from './zones.ts';

export interface InstanceView {
  id: string;
  state: string;
  launchTime: Date;
  privateIp: string;
  online: boolean;
  /** Down for a reboot: SSM shows it ConnectionLost (reboot.ts). */
  connectionLost: boolean;
}

export class Instances {
  private readonly ec2: EC2Client;
  private readonly faults: Faults;
  private readonly region: string;
  /**
   * Whether an instance's profile grants SSM Agent's permissions (agent-role.ts); set by the test bed. Without it (a
   * bed without IAM evaluation) the profile is not judged.
   */
  agentPermitted: ((profileArn: string) => Promise<boolean>) | undefined;

  constructor(motoEndpoint: string, region: string, faults: Faults) {
    this.region = region;
    this.ec2 = new EC2Client(motoAdmin(motoEndpoint, region));
    this.faults = faults;
  }

  async list(ids?: string[]): Promise<InstanceView[]> {
    const views: InstanceView[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeInstancesCommand({ ...(ids?.length ? { InstanceIds: ids } : {}), NextToken: token }),
      );
      for (const reservation of page.Reservations ?? []) {
        for (const i of reservation.Instances ?? []) {
          if (!i.InstanceId) continue;
          const state = i.State?.Name ?? 'unknown';
          const launchTime = i.LaunchTime ?? new Date(0);
          const online =
            state === 'running' &&
            !this.faults.neverOnline.has(i.InstanceId) &&
            !this.faults.rebooting.has(i.InstanceId) &&
            Date.now() - launchTime.getTime() >= this.faults.settings.onlineDelayMs &&
            (await this.agentRegisters(i.InstanceId, i.IamInstanceProfile?.Arn));
          const connectionLost = state === 'running' && this.faults.rebooting.has(i.InstanceId);
          views.push({
            id: i.InstanceId,
            state,
            launchTime,
            privateIp: i.PrivateIpAddress ?? '',
            online,
            connectionLost,
          });
        }
      }
      token = page.NextToken;
    } while (token);
    return views;
  }

  /** Known instances by id; ids moto does not know are simply absent. */
  async byId(ids: string[]): Promise<Map<string, InstanceView>> {
    const views = await Promise.all(ids.map((id) => this.list([id]).catch(() => [] as InstanceView[])));
    return new Map(views.flat().map((view) => [view.id, view]));
  }

  /**
   * Whether SSM Agent on the instance registers: its subnet reaches SSM's endpoints (routes.ts) and its profile's role
   * grants the agent's permissions (agent-role.ts). An instance without a profile has no credentials for the agent.
   */
  private async agentRegisters(id: string, profileArn: string | undefined): Promise<boolean> {
    if (!profileArn) return false;
    if (this.agentPermitted && !(await this.agentPermitted(profileArn).catch(() => false))) return false;
    return reachesSsm(this.ec2, this.region, id).catch(() => false);
  }

  /** Whether dnf on the instance reaches the Amazon Linux repositories (routes.ts). */
  async reachesRepos(id: string): Promise<boolean> {
    return reachesRepos(this.ec2, this.region, id).catch(() => false);
  }

  /** Whether the instance's subnet routes to S3 (routes.ts); an instance the bed cannot look up does not. */
  async reachesS3(id: string): Promise<boolean> {
    return reachesS3(this.ec2, this.region, id).catch(() => false);
  }

  /** An image's root device and its snapshot's size, as moto describes the image; undefined for an unknown image. */
  async imageRoot(imageId: string): Promise<ImageRoot | undefined> {
    const found = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })).catch(() => undefined);
    const image = found?.Images?.[0];
    const root = image?.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName)?.Ebs;
    if (!image?.RootDeviceName || !root?.VolumeSize) return undefined;
    return { deviceName: image.RootDeviceName, sizeGiB: root.VolumeSize, snapshotId: root.SnapshotId ?? '' };
  }

  /** An instance type's memory, as DescribeInstanceTypes gives it (MemoryInfo.SizeInMiB); undefined if unknown. */
  async memoryMiB(type: string | null): Promise<number | undefined> {
    if (!type) return undefined;
    const found = await this.ec2
      .send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as never] }))
      .catch(() => undefined);
    return found?.InstanceTypes?.[0]?.MemoryInfo?.SizeInMiB;
  }

  /** EC2's refusal of a launch in the subnet's zone: a type not offered there, or no capacity (zones.ts). */
  async zoneRefusal(form: URLSearchParams): Promise<Refusal | undefined> {
    return (
      (await quotaRefusal(this.ec2, form, (c) => this.faults.vcpuQuota(c))) ??
      zoneRefusal(this.ec2, form, this.faults.zones)
    );
  }

  /** What the instance's metadata service tells it (imds.ts); undefined for an instance moto does not know. */
  async metadata(id: string): Promise<InstanceMetadata | undefined> {
    const found = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })).catch(() => undefined);
    const i = found?.Reservations?.[0]?.Instances?.[0];
    if (!i?.InstanceId) return undefined;
    const image = i.ImageId
      ? (await this.ec2.send(new DescribeImagesCommand({ ImageIds: [i.ImageId] })).catch(() => undefined))?.Images?.[0]
      : undefined;
    const v2Image = image?.ImdsSupport === 'v2.0' || /^al2023-ami-/.test(image?.Name ?? '');
    return {
      instanceId: i.InstanceId,
      availabilityZone: i.Placement?.AvailabilityZone ?? '',
      region: this.region,
      httpTokens: i.MetadataOptions?.HttpTokens === 'required' || v2Image ? 'required' : 'optional',
    };
  }

  async terminate(id: string): Promise<void> {
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  }
}
