// Zones: an instance type (the default t4g.small among them) is not offered in every zone, and a zone can run out of capacity. The test bed
// reproduces both as EC2 answers them (testbed/zones.ts has the sources); the file system gets a second mount
// target, in the second subnet's zone, so that the action has somewhere else to go.
import fs from 'node:fs';
import path from 'node:path';
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import {
  CreateMountTargetCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
} from '@aws-sdk/client-efs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { clients, motoClients } from '../support/local-aws.ts';
import { expectClean, printTable, record, served } from './fault-harness.ts';
import { makeWorkspace, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5', 'instance-type': 't3.small' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  // Straight to moto, as an administrator would: the request log stays the action's own.
  const efs = motoClients(aws).efs;
  const FileSystemId = aws.info.fileSystemId;
  const first = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId }))).MountTargets?.[0];
  const groups = await efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: first?.MountTargetId }));
  await efs.send(
    new CreateMountTargetCommand({
      FileSystemId,
      SubnetId: aws.info.subnetIds[1],
      SecurityGroups: groups.SecurityGroups,
    }),
  );
}, 60_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-zones');
  await aws?.stop();
});

async function run() {
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
  return await runAction(aws, workspace, INPUTS, { debug: true });
}

async function launches(since: number): Promise<string[]> {
  return (await aws.log(since))
    .filter((e) => e.operation === 'RunInstances')
    .map((e) => `${e.params.InstanceType}@${e.params.SubnetId} ${e.status}`);
}

describe('zones', { timeout: 180_000 }, () => {
  it('instance-type auto launches t4g.small for a small run, and says why', async () => {
    await aws.reset();
    fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
    const step = await runAction(aws, workspace, { ...INPUTS, 'instance-type': 'auto' }, { debug: true });
    expect(record('zones', 'auto, a small run', 'published', step), step.stdout.slice(-3000)).toBe('published');
    expect(step.stdout).toMatch(/Instance type t4g.small \(instance-type: auto\): this run moves 0.000 GB/);
    expect(step.stdout).toContain('The agent runs 16 downloads and writes at once on t4g.small');
    expect(await launches(0)).toEqual([`t4g.small@${aws.info.subnetIds[0]} 200`]);
    await expectClean(aws, [step, step.post], 'models');
  });

  it('instance-type auto launches the next size up when no zone offers t4g.small', async () => {
    await aws.reset();
    const [a, b] = [`${aws.info.region}a`, `${aws.info.region}b`];
    await aws.withholdType(a, 't4g.small');
    await aws.withholdType(b, 't4g.small');
    fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
    const step = await runAction(aws, workspace, { ...INPUTS, 'instance-type': 'auto' }, { debug: true });
    expect(record('zones', 'auto, t4g.small not offered', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.stdout).toContain(
      't4g.small is not offered in any zone with a mount target; launching c7g.large instead',
    );
    expect(await launches(0)).toEqual([`c7g.large@${aws.info.subnetIds[0]} 200`]);
    await expectClean(aws, [step, step.post], 'models');
  });

  it('launches in a zone that offers the instance type, when the first zone does not', async () => {
    await aws.reset();
    const [a, b] = [`${aws.info.region}a`, `${aws.info.region}b`];
    await aws.withholdType(a, 't3.small');
    const step = await run();
    expect(record('zones', 'type not offered in the first zone', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.stdout).toContain(
      `Launch order: t3.small in ${b} (${aws.info.subnetIds[1]}); not offered: t3.small in ${a}`,
    );
    expect(await launches(0)).toEqual([`t3.small@${aws.info.subnetIds[1]} 200`]);
    await expectClean(aws, [step, step.post], 'models');
  });

  it('moves to the next zone when the first has no capacity, and says what it tried', async () => {
    await aws.reset();
    const [a, b] = [`${aws.info.region}a`, `${aws.info.region}b`];
    await aws.noCapacity(a);
    const step = await run();
    expect(record('zones', 'no capacity in the first zone', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.stdout).toContain(
      `No capacity for t3.small in ${a} (InsufficientInstanceCapacity); trying the next zone`,
    );
    expect(step.stdout).toContain(`Launching t3.small`);
    const tried = await launches(0);
    expect(tried.at(-1)).toBe(`t3.small@${aws.info.subnetIds[1]} 200`);
    expect(tried.slice(0, -1).every((t) => t === `t3.small@${aws.info.subnetIds[0]} 500`)).toBe(true);
    expect(step.stdout).toContain(`in ${b} (${aws.info.subnetIds[1]})`);
    expect(served(aws, 'models')).toBeDefined();
    await expectClean(aws, [step, step.post], 'models');
  });

  it('moves to a type with fewer vCPUs when the account vCPU quota refuses the first (VcpuLimitExceeded), and says so', async () => {
    await aws.reset();
    // 3 vCPUs of Standard instances: t3.xlarge (4) does not fit, t3.small (2) does (testbed/quotas.ts).
    await aws.vcpuQuota('standard', 3);
    fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
    const step = await runAction(aws, workspace, { ...INPUTS, 'instance-type': 't3.xlarge,t3.small' }, { debug: true });
    expect(record('zones', 'vCPU quota refuses the first type', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.stdout).toContain(
      'vCPU quota has no room for t3.xlarge (4 vCPUs) (VcpuLimitExceeded); another zone cannot help: trying a type with fewer vCPUs',
    );
    // Not the other zone: the quota is the account's, in the whole Region.
    expect(await launches(0)).toEqual([
      `t3.xlarge@${aws.info.subnetIds[0]} 400`,
      `t3.small@${aws.info.subnetIds[0]} 200`,
    ]);
    await expectClean(aws, [step, step.post], 'models');
  });

  it('fails with one error naming the quota to raise when every type is refused by the vCPU quota', async () => {
    await aws.reset();
    // What the target serves, if an earlier row published it: the failed run leaves it as it was.
    const published = fs.existsSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'models'));
    const before = published ? served(aws, 'models') : undefined;
    await aws.vcpuQuota('standard', 1);
    fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
    const step = await runAction(aws, workspace, { ...INPUTS, 'instance-type': 't3.xlarge,t3.small' }, { debug: true });
    expect(record('zones', 'vCPU quota refuses every type', 'failed: names the quota', step)).toMatch(
      /^failed \(exit 1, 1 error\)/,
    );
    const errors = step.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("every instance type was refused by the account's limits");
    expect(errors[0]).toContain(
      '"Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" quota (L-1216C47A), now 1 vCPUs',
    );
    expect(errors[0]).toContain(
      `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value 3 --region ${aws.info.region}`,
    );
    expect(await launches(0)).toEqual([
      `t3.xlarge@${aws.info.subnetIds[0]} 400`,
      `t3.small@${aws.info.subnetIds[0]} 400`,
    ]);
    await expectClean(aws, [step, step.post], 'models', before);
  });

  it('by IP with DNS hostnames off, in the second zone: mounts the mount target of the zone IMDS names', async () => {
    // The instance asks its metadata service (IMDSv2, tokens required) for its zone and mounts that zone's mount
    // target, not the first zone's: the launch moved to the second zone for want of capacity in the first.
    await aws.reset();
    const [a, b] = [`${aws.info.region}a`, `${aws.info.region}b`];
    await aws.noCapacity(a);
    const { ec2 } = clients(aws);
    const efs = motoClients(aws).efs;
    const targets = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: aws.info.fileSystemId })))
      .MountTargets;
    const ipOf = (zone: string) => targets?.find((t) => t.AvailabilityZoneName === zone)?.IpAddress ?? '';
    expect(ipOf(a)).not.toBe(ipOf(b));
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: false } }));
    try {
      const step = await run();
      expect(
        record('zones', 'DNS hostnames off, launched in the second zone', "published by its own zone's IP", step),
        step.stdout.slice(-3000),
      ).toBe('published');
      expect(step.stdout).toContain(`in ${b} (${aws.info.subnetIds[1]})`);
      expect(step.stdout).toContain(`mounting by the mount target's IP address ${ipOf(b)}`);
      expect(step.stdout).not.toContain('using the mount target IP of the first zone');
      // The test bed's record of the instance's mount: type, file system, mount target IP, options.
      const id = step.outputs['instance-id'] ?? '';
      const mounts = fs.readFileSync(path.join(aws.info.stateDir, 'instances', id, 'mounts'), 'utf8');
      const lines = mounts
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      expect(lines).toHaveLength(1);
      const [type, fileSystem, ip, options] = lines[0] ?? [];
      expect([type, fileSystem, ip]).toEqual(['efs', aws.info.fileSystemId, ipOf(b)]);
      expect(options?.split(',')).toContain(`mounttargetip=${ipOf(b)}`);
      await expectClean(aws, [step, step.post], 'models');
    } finally {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: true } }));
    }
  });
});
