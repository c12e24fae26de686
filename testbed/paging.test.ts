// Pages (paging.ts has the sources): the APIs the bed answers itself cut their answers at the documented default page
// and give a token for the rest.
import { type EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, paginateDescribeInstanceInformation } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, instanceInput, motoClients } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { PAGES, pageOf } from './paging.ts';
import { SsmError } from './ssm.ts';

describe('pageOf', () => {
  const items = Array.from({ length: 23 }, (_, i) => i);

  it('cuts at the default page and gives a token that reads on from there', () => {
    const first = pageOf('DescribeInstanceInformation', items, {});
    expect(first.items).toEqual(items.slice(0, 10));
    const second = pageOf('DescribeInstanceInformation', items, { NextToken: first.NextToken });
    expect(second.items).toEqual(items.slice(10, 20));
    const last = pageOf('DescribeInstanceInformation', items, { NextToken: second.NextToken });
    expect(last).toEqual({ items: items.slice(20) });
  });

  it('takes MaxResults up to the maximum, and a test may shrink the default page', () => {
    expect(pageOf('DescribeInstanceInformation', items, { MaxResults: 50 }).items).toHaveLength(23);
    expect(pageOf('ListCommands', Array(60).fill(0), {}).items).toHaveLength(10);
    expect(pageOf('ListCommands', Array(60).fill(0), { MaxResults: 50 }).items).toHaveLength(50);
    expect(pageOf('DescribeInstanceInformation', items, {}, { DescribeInstanceInformation: 1 }).items).toEqual([0]);
  });

  it('refuses a token it did not give, or one of another operation', () => {
    const token = pageOf('ListCommands', Array(60).fill(0), {}).NextToken;
    expect(() => pageOf('DescribeInstanceInformation', items, { NextToken: token })).toThrow(SsmError);
    expect(() => pageOf('DescribeInstanceInformation', items, { NextToken: 'nonsense' })).toThrow(
      "The specified token isn't valid.",
    );
  });

  it('knows the documented defaults', () => {
    expect(PAGES.DescribeInstanceInformation?.defaultSize).toBe(10);
  });
});

describe('paged answers on the bed', () => {
  let aws: LocalAws;
  let moto: EC2Client;
  let ids: string[] = [];

  beforeAll(async () => {
    aws = await startLocalAws(['--online-delay-ms', '0']);
    // Eleven instances, straight at moto: one more than SSM's default page, each one registered by SSM (instanceInput).
    // One RunInstances each: moto associates the profile with the first instance of a launch only.
    moto = motoClients(aws).ec2;
    const launchOne = () => moto.send(new RunInstancesCommand(instanceInput(aws, { ImageId: 'ami-12c6146b' })));
    const runs = [];
    for (let i = 0; i < 11; i++) runs.push(await launchOne());
    ids = runs.map((run) => run.Instances?.[0]?.InstanceId ?? '');
  }, 60_000);
  afterAll(async () => {
    await moto?.send(new TerminateInstancesCommand({ InstanceIds: ids })).catch(() => undefined);
    moto?.destroy();
    await aws?.stop();
  });

  it('DescribeInstanceInformation answers 10 nodes and a NextToken; the paginator reads all of them', async () => {
    const { ssm } = clients(aws);
    const filter = { Filters: [{ Key: 'InstanceIds', Values: ids }] };
    const first = await ssm.send(new DescribeInstanceInformationCommand(filter));
    expect(first.InstanceInformationList).toHaveLength(10);
    expect(first.NextToken).toBeTruthy();
    const all: string[] = [];
    for await (const page of paginateDescribeInstanceInformation({ client: ssm }, filter))
      all.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
    expect(all.sort()).toEqual([...ids].sort());
  });

  it('a test can shrink the page, and the order follows EC2, not the filter', async () => {
    await aws.settings({ pageSizes: { DescribeInstanceInformation: 1 } });
    try {
      const { ssm } = clients(aws);
      const one = await ssm.send(
        new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [...ids].reverse() }] }),
      );
      expect(one.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([ids[0]]);
      expect(one.NextToken).toBeTruthy();
    } finally {
      await aws.settings({ pageSizes: {} });
    }
  });
});
