// An instance's disk in the test bed: the root volume RunInstances asked for bounds the scratch space its commands
// get, EC2's refusal of a root volume below the image's snapshot, and the mapping in the request log.
import { DescribeImagesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch, sendScript, waitDone, waitOnline } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { type Disk, diskOf, GiB, type ImageRoot, launchRefusal, mappingOf, ROOT_FREE_BYTES } from './disk.ts';

const MiB = 1024 * 1024;
const IMAGE: ImageRoot = { deviceName: '/dev/xvda', sizeGiB: 8, snapshotId: 'snap-1' };
const form = (fields: Record<string, string>) => new URLSearchParams({ Action: 'RunInstances', ...fields });

describe('disk.ts', () => {
  it('reads the Ebs fields of the mapping of a device name, as the EC2 query protocol sends them', () => {
    const sent = form({
      'BlockDeviceMapping.1.DeviceName': '/dev/sdb',
      'BlockDeviceMapping.1.Ebs.VolumeSize': '100',
      'BlockDeviceMapping.2.DeviceName': '/dev/xvda',
      'BlockDeviceMapping.2.Ebs.VolumeSize': '9',
      'BlockDeviceMapping.2.Ebs.VolumeType': 'gp3',
    });
    expect(mappingOf(sent, '/dev/xvda')).toEqual({ VolumeSize: '9', VolumeType: 'gp3' });
    expect(mappingOf(sent, '/dev/sdc')).toBeUndefined();
  });

  it("gives the image's size and headroom without a root mapping, and every GiB asked beyond it in full", () => {
    expect(diskOf(form({}), IMAGE, ROOT_FREE_BYTES)).toEqual({
      deviceName: '/dev/xvda',
      volumeGiB: 8,
      imageGiB: 8,
      scratchBytes: 32 * MiB,
    });
    const other = form({ 'BlockDeviceMapping.1.DeviceName': '/dev/sdb', 'BlockDeviceMapping.1.Ebs.VolumeSize': '50' });
    expect(diskOf(other, IMAGE, ROOT_FREE_BYTES).volumeGiB).toBe(8); // another device adds a volume, not root space
    const root = form({ 'BlockDeviceMapping.1.DeviceName': '/dev/xvda', 'BlockDeviceMapping.1.Ebs.VolumeSize': '11' });
    expect(diskOf(root, IMAGE, MiB)).toMatchObject({ volumeGiB: 11, scratchBytes: MiB + 3 * GiB });
  });

  it('refuses a root volume below the snapshot in EC2’s words, and nothing else', () => {
    const small = form({ 'BlockDeviceMapping.1.DeviceName': '/dev/xvda', 'BlockDeviceMapping.1.Ebs.VolumeSize': '6' });
    expect(launchRefusal(small, IMAGE)).toEqual({
      code: 'InvalidBlockDeviceMapping',
      message: "Volume of size 6GB is smaller than snapshot 'snap-1', expect size >= 8GB",
    });
    expect(launchRefusal(form({}), IMAGE)).toBeUndefined();
    const same = form({ 'BlockDeviceMapping.1.DeviceName': '/dev/xvda', 'BlockDeviceMapping.1.Ebs.VolumeSize': '8' });
    expect(launchRefusal(same, IMAGE)).toBeUndefined();
  });
});

describe('instances of the test bed', () => {
  let aws: LocalAws;
  let image: ImageRoot;

  beforeAll(async () => {
    aws = await startLocalAws(['--online-delay-ms', '300']);
    // Its cases leave instances running side by side, past AWS's default Standard quota of 5 vCPUs: this account has
    // raised it (quotas.ts).
    await aws.settings({ vcpuQuotas: { standard: 64 } });
    const { ec2, ssm } = clients(aws);
    const id = await ssm.send(
      new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }),
    );
    const described = (await ec2.send(new DescribeImagesCommand({ ImageIds: [id.Parameter?.Value ?? ''] }))).Images;
    const root = described?.[0]?.BlockDeviceMappings?.find((m) => m.DeviceName === described?.[0]?.RootDeviceName);
    image = {
      deviceName: described?.[0]?.RootDeviceName ?? '',
      sizeGiB: root?.Ebs?.VolumeSize ?? 0,
      snapshotId: root?.Ebs?.SnapshotId ?? '',
    };
  }, 60_000);
  afterAll(() => aws?.stop());
  beforeEach(() => aws.reset());

  const rootOf = (sizeGiB: number): Partial<RunInstancesCommandInput> => ({
    BlockDeviceMappings: [
      {
        DeviceName: image.deviceName,
        Ebs: { VolumeSize: sizeGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ],
  });

  /** Writes `bytes` into the instance's /var/tmp (on its root volume) in one command; its status and output. */
  async function fill(id: string, bytes: number) {
    await waitOnline(aws, id);
    const command = await sendScript(aws, id, [`head -c ${bytes} /dev/zero > /var/tmp/fill && echo WROTE`]);
    return waitDone(aws, command, id);
  }

  it("has only the image's headroom without a root mapping: 48 MiB do not fit", async () => {
    const id = await launch(aws);
    expect(await aws.control<Disk>('GET', `/instances/${id}/disk`)).toEqual({
      deviceName: image.deviceName,
      volumeGiB: image.sizeGiB,
      imageGiB: image.sizeGiB,
      scratchBytes: ROOT_FREE_BYTES,
      // t3.small's 2 GiB of memory, halved: AL2023's /tmp.
      tmpBytes: 1024 * MiB,
    });
    const done = await fill(id, 48 * MiB);
    expect(done.Status).toBe('Failed');
    expect(done.StandardErrorContent).toContain('No space left on device');
  });

  it('has a GiB more for a root volume a GiB above the image: 48 MiB fit, and the request log shows the mapping', async () => {
    const id = await launch(aws, undefined, rootOf(image.sizeGiB + 1));
    expect(await aws.control<Disk>('GET', `/instances/${id}/disk`)).toMatchObject({
      volumeGiB: image.sizeGiB + 1,
      scratchBytes: ROOT_FREE_BYTES + GiB,
    });
    const done = await fill(id, 48 * MiB);
    expect(done.StandardOutputContent).toContain('WROTE');
    expect(done.Status).toBe('Success');
    const run = (await aws.log()).find((e) => e.operation === 'RunInstances');
    expect(run?.params).toMatchObject({
      'BlockDeviceMapping.1.DeviceName': image.deviceName,
      'BlockDeviceMapping.1.Ebs.VolumeSize': String(image.sizeGiB + 1),
      'BlockDeviceMapping.1.Ebs.VolumeType': 'gp3',
      'BlockDeviceMapping.1.Ebs.Encrypted': 'true',
      'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'true',
    });
  });

  it('refuses a root volume smaller than the snapshot, as EC2 does, and launches nothing', async () => {
    const before = (await aws.log()).length;
    await expect(launch(aws, undefined, rootOf(image.sizeGiB - 1))).rejects.toMatchObject({
      name: 'InvalidBlockDeviceMapping',
      message: `Volume of size ${image.sizeGiB - 1}GB is smaller than snapshot '${image.snapshotId}', expect size >= ${image.sizeGiB}GB`,
    });
    const calls = (await aws.log()).slice(before).filter((e) => e.operation === 'RunInstances');
    expect(calls.map((e) => [e.status, e.answeredBy])).toEqual([[400, 'testbed']]);
  });
});
