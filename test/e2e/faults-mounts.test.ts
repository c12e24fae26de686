// Mounts that every file system accepts, as EFS documents them and the test bed reproduces them
// (test/local-aws/efs-access.ts): a policy that denies access without encryption in transit, a policy under which
// root is squashed, and a VPC whose DNS hostnames are off.
import fs from 'node:fs';
import path from 'node:path';
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { clients } from '../support/local-aws.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { makeWorkspace, runAction } from './support.ts';

let aws: LocalAws;
let workspace: string;
let efs: EFSClient;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  efs = new EFSClient(clients(aws).config);
}, 60_000);
afterAll(async () => {
  printTable();
  await aws?.stop();
});

/** A change to publish, so that every run has work to do. */
function edit(): string {
  const content = `edit ${++edits}\n`;
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), content);
  return content;
}

async function putPolicy(...Statement: object[]): Promise<void> {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement });
  await efs.send(new PutFileSystemPolicyCommand({ FileSystemId: aws.info.fileSystemId, Policy }));
}

const servedFile = () =>
  fs.readFileSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'models', 'a.txt'), 'utf8');

describe('mounts', () => {
  it('publishes to a file system whose policy denies access without encryption in transit, mounting with TLS', async () => {
    // The EFS console's "Enforce in-transit encryption for all clients" (EFS User Guide, iam-access-control-nfs-efs):
    // a Deny on aws:SecureTransport false, which refuses a plain NFS mount.
    await putPolicy(
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      },
    );
    const content = edit();
    const step = await runAction(aws, workspace, INPUTS);
    expect(record('mount', 'policy denies access without TLS', 'published', step)).toBe('published');
    expect(step.stdout).toContain('with the EFS mount helper (tls,iam)');
    expect(step.stdout).toContain('its policy denies access without encryption in transit');
    expect(servedFile()).toBe(content);
    await expectClean(aws, [step, step.post], 'models');
  }, 120_000);

  it('mounts by the mount target IP when DNS hostnames are off in the VPC', async () => {
    // "Mounting by IP address works in environments where DNS is disabled, such as VPCs with DNS hostnames
    // disabled" (EFS User Guide, mounting-fs-mount-cmd-ip-addr).
    const { ec2 } = clients(aws);
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: false } }));
    try {
      const content = edit();
      const step = await runAction(aws, workspace, INPUTS);
      expect(record('mount', 'DNS hostnames off in the VPC', 'published', step)).toBe('published');
      expect(step.stdout).toMatch(/does not resolve .*mounting by the mount target's IP address 10\.20\.1\.\d+/);
      expect(step.stdout).toMatch(/mounttargetip=10\.20\.1\.\d+/);
      expect(servedFile()).toBe(content);
      await expectClean(aws, [step, step.post], 'models');
    } finally {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: true } }));
    }
  }, 120_000);

  it('a policy that denies root access fails at the lock with the fix, and changes nothing', async () => {
    // Without elasticfilesystem:ClientRootAccess EFS squashes root (EFS User Guide, iam-access-control-nfs-efs).
    await putPolicy(
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientRootAccess' },
    );
    const before: Served = served(aws, 'models');
    edit();
    const step = await runAction(aws, workspace, INPUTS);
    const observed = record('mount', 'policy squashes root', 'failed: refuses writes by root', step);
    expect(observed).toContain('the file system refuses writes by root');
    expect(step.stdout).toMatch(
      /::error::.*without ClientRootAccess it squashes root\. Grant both to the instance role/,
    );
    await expectClean(aws, [step, step.post], 'models', before);
  }, 120_000);
});
