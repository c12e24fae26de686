// Instance types and capacity per zone (zones.ts has the sources): what DescribeInstanceTypeOfferings says and what
// RunInstances does agree, per the subnet's zone.
import { DescribeInstanceTypeOfferingsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch, refusal } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { withoutWithheld } from './zones.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  // Its cases leave instances running side by side, past AWS's default Standard quota of 5 vCPUs: this account has
  // raised it (quotas.ts).
  await aws.settings({ vcpuQuotas: { standard: 64 } });
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

async function offeredIn(type: string): Promise<string[]> {
  const answer = await clients(aws).ec2.send(
    new DescribeInstanceTypeOfferingsCommand({
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [type] }],
    }),
  );
  return (answer.InstanceTypeOfferings ?? []).map((o) => o.Location ?? '').sort();
}

describe('zones', () => {
  it("offers t3.small in both seeded zones, as moto's data for the region does", async () => {
    const zones = await offeredIn('t3.small');
    expect(zones).toContain(`${aws.info.region}a`);
    expect(zones).toContain(`${aws.info.region}b`);
  });

  it('refuses a type withheld in the subnet zone with Unsupported, and no longer lists it there', async () => {
    const zone = `${aws.info.region}a`;
    await aws.withholdType(zone, 't3.small');
    expect(await offeredIn('t3.small')).not.toContain(zone);
    expect(await refusal(launch(aws))).toEqual({
      name: 'Unsupported',
      message: expect.stringContaining(
        `Your requested instance type (t3.small) is not supported in your requested Availability Zone (${zone})`,
      ),
      status: 400,
    });
    // Like EC2, the refusal names the zones that do offer the type, and not this one.
    const choices = /or choosing (.*)\.$/.exec((await refusal(launch(aws)))?.message ?? '')?.[1]?.split(', ');
    expect(choices).toContain(`${aws.info.region}b`);
    expect(choices).not.toContain(zone);
    // The other zone launches it.
    expect(await launch(aws, undefined, { SubnetId: aws.info.subnetIds[1] })).toMatch(/^i-/);
  });

  it('answers InsufficientInstanceCapacity, a server error, for a zone without capacity', async () => {
    await aws.noCapacity(`${aws.info.region}a`);
    expect(await refusal(launch(aws))).toMatchObject({ name: 'InsufficientInstanceCapacity', status: 500 });
    expect(await launch(aws, undefined, { SubnetId: aws.info.subnetIds[1] })).toMatch(/^i-/);
    await aws.reset();
    expect(await launch(aws)).toMatch(/^i-/);
  });

  it('takes only the withheld offerings out of an answer', () => {
    const item = (type: string, zone: string) =>
      `<item><instanceType>${type}</instanceType><locationType>availability-zone</locationType><location>${zone}</location></item>`;
    const xml = `<instanceTypeOfferingSet>${item('t3.small', 'a')}${item('t3.small', 'b')}</instanceTypeOfferingSet>`;
    expect(withoutWithheld(xml, new Set(['a/t3.small']))).toBe(
      `<instanceTypeOfferingSet>${item('t3.small', 'b')}</instanceTypeOfferingSet>`,
    );
  });
});
