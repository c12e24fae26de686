import type { EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  AL2023_ROOT,
  GiB,
  imageRoot,
  MAX_VOLUME_GIB,
  rootVolume,
  rootVolumeGiB,
} from '../../../src/remote/instance/root-volume.js';

/** An EC2 client whose every call answers `reply` (or throws it). */
function ec2(reply: unknown): { client: EC2Client; calls: unknown[] } {
  const calls: unknown[] = [];
  const client = {
    send: async (command: { input: unknown }) => {
      calls.push(command.input);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as EC2Client;
  return { client, calls };
}

// What DescribeImages says of an AL2023 AMI: its root device and the 8 GiB gp3 snapshot behind it.
const AL2023_IMAGE = {
  Images: [
    {
      ImageId: 'ami-0feed',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1', VolumeSize: 8, VolumeType: 'gp3' } },
      ],
    },
  ],
};

describe('imageRoot', () => {
  it("reads the root device and its snapshot's size from the image's block device mapping", async () => {
    const { client, calls } = ec2({
      Images: [
        {
          RootDeviceName: '/dev/sda1',
          BlockDeviceMappings: [
            { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 100 } },
            { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 10 } },
          ],
        },
      ],
    });
    const lines: string[] = [];
    expect(await imageRoot(client, 'ami-0feed', (l) => lines.push(l))).toEqual({
      deviceName: '/dev/sda1',
      sizeGiB: 10,
    });
    expect(calls).toEqual([{ ImageIds: ['ami-0feed'] }]);
    expect(lines).toEqual([]);
  });

  it("assumes AL2023's 8 GiB at /dev/xvda, and says so, when DescribeImages fails or names no EBS root", async () => {
    const denied = Object.assign(new Error('not authorized to perform: ec2:DescribeImages'), {
      name: 'UnauthorizedOperation',
    });
    const lines: string[] = [];
    expect(await imageRoot(ec2(denied).client, 'ami-0feed', (l) => lines.push(l))).toEqual(AL2023_ROOT);
    expect(await imageRoot(ec2({ Images: [] }).client, 'ami-0feed', (l) => lines.push(l))).toEqual(AL2023_ROOT);
    expect(lines[0]).toMatch(
      /^Could not read the root volume of ami-0feed \(ec2:DescribeImages was denied .*not authorized.*\); assuming Amazon Linux 2023's 8 GiB at \/dev\/xvda$/,
    );
    expect(lines[1]).toContain('(it names no EBS root volume)');
    expect(AL2023_ROOT).toEqual({ deviceName: '/dev/xvda', sizeGiB: 8 });
  });

  it('finds the AL2023 root as the image describes it', async () => {
    expect(await imageRoot(ec2(AL2023_IMAGE).client, 'ami-0feed', () => {})).toEqual(AL2023_ROOT);
  });
});

describe('rootVolumeGiB', () => {
  it("is the image's size with no scratch, plus the scratch rounded up to whole GiB", () => {
    expect(rootVolumeGiB(AL2023_ROOT, 0)).toBe(8);
    expect(rootVolumeGiB(AL2023_ROOT, 1)).toBe(9);
    expect(rootVolumeGiB(AL2023_ROOT, 256 * 1024 * 1024)).toBe(9);
    expect(rootVolumeGiB(AL2023_ROOT, GiB)).toBe(9);
    expect(rootVolumeGiB(AL2023_ROOT, GiB + 1)).toBe(10);
    expect(rootVolumeGiB({ deviceName: '/dev/xvda', sizeGiB: 30 }, 20 * GiB)).toBe(50);
  });

  it('stays within the largest gp3 volume', () => {
    expect(rootVolumeGiB(AL2023_ROOT, 100_000 * GiB)).toBe(MAX_VOLUME_GIB);
  });
});

describe('rootVolume', () => {
  it('maps the root device itself (so it replaces the root volume), gp3, encrypted, deleted with the instance', () => {
    expect(rootVolume(AL2023_ROOT, 3 * GiB)).toEqual({
      DeviceName: '/dev/xvda',
      Ebs: { VolumeSize: 11, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
    });
  });
});
