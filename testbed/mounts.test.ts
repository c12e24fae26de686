// EFS mounts on a test bed instance as AWS makes them: the NFS client and the EFS mount helper must be installed,
// file system DNS names resolve only with DNS hostnames on, and a policy set with PutFileSystemPolicy decides what
// a mount may do (testbed/efs-access.ts cites the EFS User Guide).
import fs from 'node:fs';
import path from 'node:path';
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { DescribeMountTargetsCommand, type EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, launchOnline, sendScript, waitDone } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';

let aws: LocalAws;
let instanceId: string;
let efs: EFSClient;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  instanceId = await launchOnline(aws);
  efs = clients(aws).efs;
}, 60_000);
afterAll(() => aws?.stop());

async function run(...commands: string[]) {
  return await waitDone(aws, await sendScript(aws, instanceId, commands), instanceId);
}

const dnsName = () => `${aws.info.fileSystemId}.efs.${aws.info.region}.amazonaws.com`;
const written = (name: string) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, name);

async function putPolicy(...Statement: object[]): Promise<void> {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement });
  await efs.send(new PutFileSystemPolicyCommand({ FileSystemId: aws.info.fileSystemId, Policy }));
}

describe('EFS mounts', () => {
  it('need the NFS client, which Amazon Linux 2023 installs with dnf', async () => {
    const before = await run('mkdir -p /mnt/a', `mount -t nfs4 -o nfsvers=4.1 ${dnsName()}:/ /mnt/a`);
    expect(before).toMatchObject({ Status: 'Failed', ResponseCode: 32 });
    expect(before.StandardErrorContent).toContain('/sbin/mount.<type> helper');
    const after = await run(
      'set -e',
      'dnf install -y amazon-efs-utils >/dev/null',
      `mount -t nfs4 -o nfsvers=4.1 ${dnsName()}:/ /mnt/a`,
      'echo plain > /mnt/a/plain.txt',
    );
    expect(after.Status).toBe('Success');
    expect(fs.readFileSync(written('plain.txt'), 'utf8')).toBe('plain\n');
  });

  it('honour a policy that denies access without TLS: plain NFS is refused, the mount helper with tls is not', async () => {
    await putPolicy(
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:Client*' },
    );
    const plain = await run('mkdir -p /mnt/b', `mount -t nfs4 -o nfsvers=4.1 ${dnsName()}:/ /mnt/b`);
    expect(plain).toMatchObject({ Status: 'Failed', ResponseCode: 32 });
    expect(plain.StandardErrorContent).toContain('access denied by server');
    const tls = await run(
      'set -e',
      `mount -t efs -o tls ${aws.info.fileSystemId}:/ /mnt/b`,
      'echo tls > /mnt/b/tls.txt',
    );
    expect(tls.StandardErrorContent).toBe('');
    expect(fs.readFileSync(written('tls.txt'), 'utf8')).toBe('tls\n');
  });

  it("honour an IAM policy: an anonymous client's root is squashed, the instance role with iam writes", async () => {
    // The EFS console's "Prevent root access by default": anonymous clients may mount and write, not as root; the
    // instance role's identity policy (the seed's, as infra/efsync.yaml's) grants ClientRootAccess.
    await putPolicy({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
    });
    const anonymous = await run(
      'mkdir -p /mnt/c',
      `mount -t efs -o tls ${aws.info.fileSystemId}:/ /mnt/c`,
      'echo anonymous > /mnt/c/anonymous.txt',
    );
    expect(anonymous.Status).toBe('Failed');
    expect(fs.existsSync(written('anonymous.txt'))).toBe(false);
    const withIam = await run(
      'set -e',
      'mkdir -p /mnt/d',
      `mount -t efs -o tls,iam ${aws.info.fileSystemId}:/ /mnt/d`,
      'echo iam > /mnt/d/iam.txt',
    );
    expect(withIam.StandardErrorContent).toBe('');
    expect(fs.readFileSync(written('iam.txt'), 'utf8')).toBe('iam\n');
    const noTls = await run('mkdir -p /mnt/e', `mount -t efs -o iam ${aws.info.fileSystemId}:/ /mnt/e`);
    expect(noTls.StandardErrorContent).toContain('The "iam" option requires the "tls" option.');
  });

  it('resolve the DNS name only with DNS hostnames on; by the mount target IP they work either way', async () => {
    const { ec2 } = clients(aws);
    const ip = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: aws.info.fileSystemId })))
      .MountTargets?.[0]?.IpAddress;
    expect(ip).toMatch(/^10\.20\.1\.\d+$/);
    expect((await run(`getent hosts ${dnsName()}`)).StandardOutputContent).toContain(ip);
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: false } }));
    try {
      expect((await run(`getent hosts ${dnsName()}`)).Status).toBe('Failed');
      const byName = await run('mkdir -p /mnt/f', `mount -t efs -o tls,iam ${aws.info.fileSystemId}:/ /mnt/f`);
      expect(byName.StandardErrorContent).toContain(`Failed to resolve "${dnsName()}"`);
      const byIp = await run(
        'set -e',
        `mount -t efs -o tls,iam,mounttargetip=${ip} ${aws.info.fileSystemId}:/ /mnt/f`,
        'echo ip > /mnt/f/ip.txt',
      );
      expect(byIp.StandardErrorContent).toBe('');
      expect(fs.readFileSync(written('ip.txt'), 'utf8')).toBe('ip\n');
    } finally {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: true } }));
    }
  });
});
