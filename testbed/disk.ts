// An instance's disk as RunInstances asked for it: the root volume's size, and the scratch space the instance's
// scripts get from it (sandbox.ts bounds the root volume, where /var/tmp is, by it).
//
// AWS's rules, as the front applies them:
// - The root volume is the image's root device (DescribeImages RootDeviceName) at the size of its snapshot, unless
//   a BlockDeviceMapping of that device name says otherwise ("If you specify a snapshot, the default is the snapshot
//   size", EbsBlockDevice.VolumeSize in botocore's ec2 service-2.json). A mapping of any other device name adds a
//   volume and leaves the root as it is.
// - A root VolumeSize below the snapshot's is refused: "You can specify a volume size that is equal to or larger
//   than the snapshot size" (the same documentation), with InvalidBlockDeviceMapping and EC2's words "Volume of
//   size 8GB is smaller than snapshot 'snap-…', expect size >= 32GB" (as quoted from EC2 in NVIDIA/ngc-examples
//   pull request #3).
// The image's data is moto's: its AL2023 images say /dev/xvda and a 15 GiB snapshot (real AL2023 AMIs: 8 GiB,
// see src/remote/instance/root-volume.ts). The rules do not depend on the number.
//
// The deliberate scaling: a test cannot write gigabytes, so the free space an image's own root volume leaves after
// the OS is `rootFreeBytes` (a setting, 32 MiB by default), and each GiB RunInstances asks beyond the snapshot's size
// adds a full GiB. What the action reckons in real bytes beyond the image is real; only the image's headroom shrinks.

export const GiB = 1024 ** 3;
/** The default of Settings.rootFreeBytes. */
export const ROOT_FREE_BYTES = 32 * 1024 * 1024;

/** An image's root device and its snapshot's size, as DescribeImages tells them. */
export interface ImageRoot {
  deviceName: string;
  sizeGiB: number;
  snapshotId: string;
}

/** What an instance got: its root volume, and the scratch space its scripts see. */
export interface Disk {
  scratchBytes: number;
  /**
   * The size of its /tmp: "By default, AL2023 configures it to be a tmpfs file system with a size limit of 50% of RAM
   * and a maximum of one million inodes" (AL2023 User Guide, "/tmp (small temporary files)"); the RAM is
   * DescribeInstanceTypes' MemoryInfo.SizeInMiB. Real bytes: memory is not scaled as the root volume is.
   */
  tmpBytes?: number;
  deviceName?: string;
  volumeGiB?: number;
  imageGiB?: number;
}

/** The Ebs fields of RunInstances' BlockDeviceMapping.N for a device name, as sent (EC2 query protocol). */
export function mappingOf(form: URLSearchParams, deviceName: string): Record<string, string> | undefined {
  for (let n = 1; form.has(`BlockDeviceMapping.${n}.DeviceName`); n++) {
    if (form.get(`BlockDeviceMapping.${n}.DeviceName`) !== deviceName) continue;
    const prefix = `BlockDeviceMapping.${n}.Ebs.`;
    return Object.fromEntries(
      [...form.entries()].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
    );
  }
  return undefined;
}

/** EC2's refusal of a root volume smaller than the image's snapshot, if RunInstances asks for one. */
export function launchRefusal(form: URLSearchParams, image: ImageRoot): { code: string; message: string } | undefined {
  const size = Number(mappingOf(form, image.deviceName)?.VolumeSize ?? image.sizeGiB);
  if (size >= image.sizeGiB) return undefined;
  return {
    code: 'InvalidBlockDeviceMapping',
    message: `Volume of size ${size}GB is smaller than snapshot '${image.snapshotId}', expect size >= ${image.sizeGiB}GB`,
  };
}

/** The root volume RunInstances gives an instance, and the scratch space that stands for its free space. */
export function diskOf(form: URLSearchParams, image: ImageRoot, rootFreeBytes: number, memoryMiB?: number): Disk {
  const volumeGiB = Number(mappingOf(form, image.deviceName)?.VolumeSize ?? image.sizeGiB);
  return {
    deviceName: image.deviceName,
    volumeGiB,
    imageGiB: image.sizeGiB,
    scratchBytes: rootFreeBytes + Math.max(0, volumeGiB - image.sizeGiB) * GiB,
    ...(memoryMiB !== undefined && { tmpBytes: Math.floor((memoryMiB * 1024 * 1024) / 2) }),
  };
}
