// What IAM evaluation needs to know about the account (an image's owner, a subnet's VPC, an instance's tags, a
// profile's role, an object's KMS key), read from moto as an administrator: these reads are the bed's own, never the
// caller's, and never reach the request log.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeMountTargetsCommand, EFSClient } from '@aws-sdk/client-efs';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Lookup } from './iam-requests.ts';
import { motoAdmin } from './moto.ts';

const tagsOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export function motoLookup(motoEndpoint: string, region: string): Lookup & { destroy(): void } {
  const config = motoAdmin(motoEndpoint, region);
  const ec2 = new EC2Client(config);
  const iam = new IAMClient(config);
  const efs = new EFSClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const buckets = new Set<string>();
  const quiet = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch {
      return undefined;
    }
  };
  /** The KMS key moto keeps for an object, from its state dump (/moto-api/data.json). */
  const keyFromState = async (bucket: string, key: string): Promise<string | undefined> => {
    const dump = await (await fetch(`${motoEndpoint}/moto-api/data.json`)).text();
    const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const arn = JSON.stringify(`arn:aws:s3:::${bucket}/${key}/`).slice(1, -1);
    return new RegExp(`"arn": "${escapeRegExp(arn)}[^"]*"[^{}]*?"kms_key_id": "([^"]+)"`).exec(dump)?.[1];
  };
  return {
    image: (id) =>
      quiet(async () => {
        const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [id] }))).Images?.[0];
        if (!image) return undefined;
        return {
          ...(image.ImageOwnerAlias && { ownerAlias: image.ImageOwnerAlias }),
          ...(image.OwnerId && { ownerId: image.OwnerId }),
          ...(image.Public !== undefined && { public: image.Public }),
          tags: tagsOf(image.Tags),
        };
      }),
    subnet: (id) =>
      quiet(async () => {
        const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets?.[0];
        return subnet && { vpcId: subnet.VpcId ?? '', zone: subnet.AvailabilityZone ?? '', tags: tagsOf(subnet.Tags) };
      }),
    securityGroup: (id) =>
      quiet(async () => {
        const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];
        return group && { vpcId: group.VpcId ?? '', tags: tagsOf(group.Tags) };
      }),
    instance: (id) =>
      quiet(async () => {
        const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
        const instance = found.Reservations?.[0]?.Instances?.[0];
        return (
          instance && {
            tags: tagsOf(instance.Tags),
            type: instance.InstanceType ?? '',
            zone: instance.Placement?.AvailabilityZone ?? '',
            ...(instance.IamInstanceProfile?.Arn && { profileArn: instance.IamInstanceProfile.Arn }),
          }
        );
      }),
    profileRole: (profile) =>
      quiet(async () => {
        const name = profile.startsWith('arn:') ? (profile.split('/').pop() ?? '') : profile;
        const found = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
        const roleArn = found?.Roles?.[0]?.Arn;
        return found?.Arn && roleArn ? { profileArn: found.Arn, roleArn } : undefined;
      }),
    mountTargetFileSystem: (id) =>
      quiet(
        async () =>
          (await efs.send(new DescribeMountTargetsCommand({ MountTargetId: id }))).MountTargets?.[0]?.FileSystemId,
      ),
    // A bucket once seen is taken to stay (the tests delete none while the action runs).
    bucketExists: async (bucket) => {
      if (buckets.has(bucket)) return true;
      const found =
        (await quiet(async () => {
          await s3.send(new HeadBucketCommand({ Bucket: bucket }));
          return true;
        })) ?? false;
      if (found) buckets.add(bucket);
      return found;
    },
    objectKmsKey: (bucket, key) =>
      quiet(async () => {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        if (!/^aws:kms/.test(head.ServerSideEncryption ?? '')) return undefined;
        // S3 names the key of a DSSE-KMS object as of an SSE-KMS one (HeadObject, SSEKMSKeyId,
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html); moto sends the header for aws:kms only
        // (moto/s3/models.py, FakeKey.response_dict), so the key is read from moto's state dump.
        const id = head.SSEKMSKeyId ?? (await keyFromState(bucket, key)) ?? '';
        return id.startsWith('arn:') ? id : `arn:aws:kms:${region}:123456789012:key/${id}`;
      }),
    destroy() {
      for (const client of [ec2, iam, efs, s3]) client.destroy();
    },
  };
}
