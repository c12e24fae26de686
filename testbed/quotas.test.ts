// The account's On-Demand vCPU quotas (quotas.ts has the sources): RunInstances past a class's quota answers
// VcpuLimitExceeded, counting the vCPUs of the class's pending and running instances.
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch, refusal } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { quotaClassOf, vcpuLimitMessage } from './quotas.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

/** Ends what earlier cases left running: running instances count against the quota. */
async function terminateAll(): Promise<void> {
  const { ec2 } = clients(aws);
  const found = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }),
  );
  const ids = (found.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId ?? ''));
  if (ids.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
}

describe('vCPU quotas', () => {
  it('sorts types into the On-Demand quota classes', () => {
    expect(['t3.small', 'c7g.large', 'm7g.xlarge', 'r6i.large', 'z1d.large', 'im4gn.large'].map(quotaClassOf)).toEqual(
      Array(6).fill('standard'),
    );
    expect(
      ['g5.xlarge', 'vt1.3xlarge', 'p4d.24xlarge', 'inf2.xlarge', 'trn1.2xlarge', 'x2idn.large'].map(quotaClassOf),
    ).toEqual(['g-vt', 'g-vt', 'p', 'inf', 'trn', 'x']);
  });

  it('refuses a launch past the class quota with VcpuLimitExceeded, counting running instances', async () => {
    await aws.vcpuQuota('standard', 3);
    // t3.xlarge has 4 vCPUs: past 3 at once.
    expect(await refusal(launch(aws, undefined, { InstanceType: 't3.xlarge' }))).toEqual({
      name: 'VcpuLimitExceeded',
      message: vcpuLimitMessage(3),
      status: 400,
    });
    // t3.small has 2: it fits, and then a second one does not (2 + 2 > 3).
    const first = await launch(aws, undefined, { InstanceType: 't3.small' });
    expect(await refusal(launch(aws, undefined, { InstanceType: 't3.small' }))).toMatchObject({
      name: 'VcpuLimitExceeded',
    });
    // Another class has its own quota: 0 by default, raised here.
    expect(await refusal(launch(aws, undefined, { InstanceType: 'g5.xlarge' }))).toMatchObject({
      name: 'VcpuLimitExceeded',
    });
    await aws.vcpuQuota('g-vt', 4);
    expect(await launch(aws, undefined, { InstanceType: 'g5.xlarge' })).toMatch(/^i-/);
    // A terminated instance no longer counts.
    await clients(aws).ec2.send(new TerminateInstancesCommand({ InstanceIds: [first] }));
    expect(await launch(aws, undefined, { InstanceType: 't3.small' })).toMatch(/^i-/);
  });

  it("has AWS's default Standard quota, 5 vCPUs, until a test sets one, and reset restores it", async () => {
    await terminateAll();
    const ids = [];
    for (let n = 0; n < 2; n++) ids.push(await launch(aws, undefined, { InstanceType: 't3.small' }));
    // 2 + 2 + 2 > 5.
    expect(await refusal(launch(aws, undefined, { InstanceType: 't3.small' }))).toEqual({
      name: 'VcpuLimitExceeded',
      message: vcpuLimitMessage(5),
      status: 400,
    });
    await clients(aws).ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    await aws.vcpuQuota('standard', 0);
    expect(await refusal(launch(aws))).toMatchObject({ name: 'VcpuLimitExceeded' });
    await aws.reset();
    expect(await launch(aws)).toMatch(/^i-/);
  });
});
