// The account's On-Demand vCPU quotas (quotas.ts has the sources): RunInstances past a class's quota answers
// VcpuLimitExceeded, counting the vCPUs of the class's pending and running instances.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch, refusal } from '../support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { quotaClassOf, vcpuLimitMessage } from './quotas.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

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
    // Another class has its own quota, unset here.
    expect(await launch(aws, undefined, { InstanceType: 'g5.xlarge' })).toMatch(/^i-/);
    // A terminated instance no longer counts.
    await clients(aws).ec2.send(new TerminateInstancesCommand({ InstanceIds: [first] }));
    expect(await launch(aws, undefined, { InstanceType: 't3.small' })).toMatch(/^i-/);
  });

  it('has no quota until a test sets one, and reset clears it', async () => {
    await aws.vcpuQuota('standard', 0);
    expect(await refusal(launch(aws))).toMatchObject({ name: 'VcpuLimitExceeded' });
    await aws.reset();
    expect(await launch(aws)).toMatch(/^i-/);
  });
});
