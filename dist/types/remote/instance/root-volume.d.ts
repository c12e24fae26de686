/**
 * The instance's root volume: the image's own root device, grown by what the agent keeps on it, gp3, encrypted and
 * deleted with the instance.
 *
 * Amazon Linux 2023's standard AMIs map an 8 GiB root volume at /dev/xvda (DescribeImages: RootDeviceName and the
 * root's Ebs.VolumeSize; "The non-minimal AMI uses an 8GB snapshot boot drive", amazonlinux/amazon-linux-2023 issue
 * #63). The OS fills part of it, and the agent keeps staged parts in /var/tmp on it. The size is read from the image
 * at launch, so a later AMI with a larger snapshot still launches: RunInstances refuses a VolumeSize below the
 * snapshot's ("You can specify a volume size that is equal to or larger than the snapshot size", EbsBlockDevice in
 * botocore's ec2 service-2.json).
 *
 * The rule: the image's size, for the OS, dnf's cache (amazon-efs-utils) and the headroom the AMI leaves, plus the
 * scratch the agent needs rounded up to whole GiB. With its parts deleted as soon as they are written, that scratch
 * is the largest parts the agent downloads at once (src/remote/job.ts, scratchBytes), never the sum of the
 * parts: a run of small parts adds 1 GiB, a 20 GiB model file about 20 GiB.
 */
import { type BlockDeviceMapping, type EC2Client } from '@aws-sdk/client-ec2';
export declare const GiB: number;
/** An image's root device and the size of its snapshot. */
export interface RootDevice {
    deviceName: string;
    sizeGiB: number;
}
/** AL2023's, for when DescribeImages cannot say (see above). */
export declare const AL2023_ROOT: RootDevice;
/** gp3's size limit in the EBS User Guide until 2025 (botocore now says 65,536): far beyond any run's need. */
export declare const MAX_VOLUME_GIB = 16384;
/** The image's root device, from its block device mapping; AL2023's if DescribeImages fails or names none. */
export declare function imageRoot(ec2: EC2Client, imageId: string, log: (line: string) => void): Promise<RootDevice>;
/** The root volume's size: the image's, plus the scratch bytes in whole GiB. */
export declare function rootVolumeGiB(root: RootDevice, scratchBytes: number): number;
/** RunInstances' mapping of the root device: the same device, so it replaces the image's root volume. */
export declare function rootVolume(root: RootDevice, scratchBytes: number): BlockDeviceMapping;
