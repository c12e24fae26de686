// Instances that never run: a launch fault takes the next instance from pending straight to terminated, and
// DescribeInstances through the front gives its StateReason as EC2 would (launch-faults.ts has the sources).
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { withStateReasons } from './launch-faults.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '200']);
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

async function described(id: string) {
  const { ec2 } = clients(aws);
  const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return found.Reservations?.[0]?.Instances?.[0];
}

describe('launch faults', () => {
  it('ends the next instance before it runs, with the StateReason EC2 gives for an unusable KMS key', async () => {
    expect(await aws.launchFault()).toEqual({
      code: 'Client.InternalError',
      message: 'Client.InternalError: Client error on launch',
    });
    const id = await launch(aws);
    const instance = await described(id);
    expect(instance?.State?.Name).toBe('terminated');
    expect(instance?.StateReason).toEqual({
      Code: 'Client.InternalError',
      Message: 'Client.InternalError: Client error on launch',
    });
    // It never booted, so SSM never has it.
    await new Promise((r) => setTimeout(r, 500));
    const info = await clients(aws).ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    expect(info.InstanceInformationList ?? []).toEqual([]);
    // What EC2 says about the instance outlives the fault.
    await aws.reset();
    expect((await described(id))?.StateReason?.Code).toBe('Client.InternalError');
  });

  it('takes a code and message, applies to one launch only, and leaves other instances as moto has them', async () => {
    await aws.launchFault({
      code: 'Server.InternalError',
      message: 'Server.InternalError: Internal error on launch <&>',
    });
    const ended = await launch(aws);
    const next = await launch(aws);
    expect((await described(ended))?.StateReason).toEqual({
      Code: 'Server.InternalError',
      Message: 'Server.InternalError: Internal error on launch <&>',
    });
    expect((await described(next))?.State?.Name).toBe('running');
    await clients(aws).ec2.send(new TerminateInstancesCommand({ InstanceIds: [next] }));
    // A termination through the API keeps moto's own reason (StateReason, EC2 API reference).
    expect((await described(next))?.StateReason).toEqual({
      Code: 'Client.UserInitiatedShutdown',
      Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    });
    // Both instances in one answer: each keeps its own reason.
    const both = await clients(aws).ec2.send(new DescribeInstancesCommand({ InstanceIds: [ended, next] }));
    const codes = Object.fromEntries(
      (both.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.StateReason?.Code]),
    );
    expect(codes).toEqual({ [ended]: 'Server.InternalError', [next]: 'Client.UserInitiatedShutdown' });
  });

  it('refuses a code or message that is not a string', async () => {
    await expect(aws.control('POST', '/launches', { code: 7 })).rejects.toThrow(/400/);
  });
});

describe('withStateReasons', () => {
  // As moto writes it: some members before <instanceId>, nested sets whose items are no instances.
  const item = (id: string, code: string) =>
    `<item><groupSet><item><groupId>sg-1</groupId></item></groupSet>` +
    `<stateReason><code>${code}</code><message>${code}: m</message></stateReason>` +
    `<instanceId>${id}</instanceId><productCodes/><reason>r</reason></item>`;
  const xml =
    `<?xml version="1.0" encoding="utf-8"?><DescribeInstancesResponse><reservationSet><item>` +
    `<instancesSet>${item('i-0a', 'A')}${item('i-0b', 'B')}</instancesSet></item></reservationSet>` +
    `</DescribeInstancesResponse>`;

  it('rewrites only the code and message of the instances it is given', () => {
    const out = withStateReasons(xml, new Map([['i-0b', { code: 'C', message: 'C: <x>' }]]));
    expect(out).toBe(
      xml.replace('<code>B</code><message>B: m</message>', '<code>C</code><message>C: &lt;x&gt;</message>'),
    );
    expect(withStateReasons(xml, new Map())).toBe(xml);
    expect(withStateReasons(xml, new Map([['i-0c', { code: 'C', message: 'C' }]]))).toBe(xml);
  });
});
