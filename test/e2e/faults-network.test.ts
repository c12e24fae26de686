// The network an instance needs before it is launched: SSM's endpoints (or a NAT) for Run Command, and, when the mount
// needs the EFS mount helper, a route to Amazon Linux's repositories that dnf can use (an S3 gateway endpoint or a
// NAT, not an S3 interface endpoint). The test bed brings an instance Online only when its subnet reaches SSM and its
// role lets the agent in, and its dnf reaches the repositories by the same rule as AWS (testbed/routes.ts). The
// cases change the VPC in moto directly, as an administrator would: the request log stays the action's own. Each
// fix is applied as the error prints it: its commands' arguments are parsed and sent through the SDK.
import fs from 'node:fs';
import path from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { createS3InterfaceEndpoint, motoClients } from '../support/local-aws.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { makeWorkspace, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let baseline: Served;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  // Convenience, turned on here: SSM has an instance that reaches it Online as soon as it runs.
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  const first = await runAction(aws, workspace, INPUTS);
  expect(first.status).toBe(0);
  baseline = served(aws, 'models');
}, 120_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-network');
  await aws?.stop();
});

async function run(inputs: Record<string, string> = {}) {
  await aws.reset();
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
  return await runAction(aws, workspace, { ...INPUTS, ...inputs }, { debug: true });
}

async function endpoints(): Promise<VpcEndpoint[]> {
  const { ec2 } = motoClients(aws);
  const found = await ec2.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [aws.info.vpcId] }] }),
  );
  return (found.VpcEndpoints ?? []).filter((e) => e.State?.toLowerCase() === 'available');
}

async function deleteEndpoints(keep: (e: VpcEndpoint) => boolean): Promise<void> {
  const ids = (await endpoints()).filter((e) => !keep(e)).map((e) => e.VpcEndpointId ?? '');
  if (ids.length) await motoClients(aws).ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ids }));
}

/** The `aws ec2 …` commands of an error message, each as its subcommand and its options. */
function printedCommands(message: string): { command: string; options: Record<string, string | true> }[] {
  return [...message.matchAll(/aws ec2 ([a-z-]+)((?: --[a-z-]+(?: [^\s;()-][^\s;()]*)?)+)/g)].map((m) => {
    const options: Record<string, string | true> = {};
    for (const o of (m[2] ?? '').matchAll(/--([a-z-]+)(?: ([^\s;()-][^\s;()]*))?/g)) options[o[1] ?? ''] = o[2] ?? true;
    return { command: m[1] ?? '', options };
  });
}

/** Applies the printed create-vpc-endpoint and authorize-security-group-ingress commands through the SDK. */
async function applyPrinted(message: string): Promise<string[]> {
  const { ec2 } = motoClients(aws);
  const applied: string[] = [];
  for (const { command, options: o } of printedCommands(message)) {
    const text = (name: string) => (typeof o[name] === 'string' ? (o[name] as string) : undefined);
    if (command === 'create-vpc-endpoint') {
      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: text('vpc-id'),
          VpcEndpointType: text('vpc-endpoint-type') as 'Interface' | 'Gateway',
          ServiceName: text('service-name'),
          ...(text('subnet-ids') && { SubnetIds: [text('subnet-ids') ?? ''] }),
          ...(text('security-group-ids') && { SecurityGroupIds: [text('security-group-ids') ?? ''] }),
          ...(text('route-table-ids') && { RouteTableIds: [text('route-table-ids') ?? ''] }),
          ...(o['private-dns-enabled'] === true && { PrivateDnsEnabled: true }),
        }),
      );
    } else if (command === 'authorize-security-group-ingress') {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: text('group-id'),
          IpPermissions: [
            {
              IpProtocol: text('protocol'),
              FromPort: Number(text('port')),
              ToPort: Number(text('port')),
              UserIdGroupPairs: [{ GroupId: text('source-group') }],
            },
          ],
        }),
      );
    } else {
      continue;
    }
    applied.push(`${command} ${text('service-name') ?? text('group-id') ?? ''}`.trim());
  }
  return applied;
}

const errorLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';

describe('network before launch', { timeout: 240_000 }, () => {
  it('with keep-warm and no warm instance, the same failure stops the launch before RunInstances', async () => {
    const { region, subnetIds } = aws.info;
    const { ec2 } = motoClients(aws);
    const ssmEndpoints = (await endpoints()).filter((e) => e.ServiceName !== `com.amazonaws.${region}.s3`);
    await deleteEndpoints((e) => e.ServiceName === `com.amazonaws.${region}.s3`);
    try {
      const step = await run({ 'keep-warm': '5' });
      const observed = record(
        '3',
        'SSM unreachable, keep-warm with no warm instance',
        'failed before RunInstances: missing the SSM endpoints',
        step,
      );
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      expect(errorLine(step.stdout)).toContain(`Subnet ${subnetIds[0]} does not reach SSM: missing`);
      expect(step.stdout).toContain(
        'A warm instance reused needs none of this; launching one fails before RunInstances.',
      );
      const operations = (await aws.log()).map((e) => e.operation);
      expect(operations).toContain('DescribeInstances'); // it looked for a warm instance first
      expect(operations).not.toContain('RunInstances');
      await expectClean(aws, [step, step.post], 'models', baseline);
    } finally {
      for (const e of ssmEndpoints) {
        await ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: e.VpcId,
            VpcEndpointType: 'Interface',
            ServiceName: e.ServiceName,
            SubnetIds: e.SubnetIds,
            SecurityGroupIds: (e.Groups ?? []).map((g) => g.GroupId ?? ''),
            PrivateDnsEnabled: true,
          }),
        );
      }
    }
  });

  it('a subnet with only an S3 gateway endpoint fails in preflight naming the SSM endpoints; the printed fix makes the next run publish', async () => {
    const { region, vpcId, subnetIds, instanceSecurityGroupId: group } = aws.info;
    await deleteEndpoints((e) => e.ServiceName === `com.amazonaws.${region}.s3`);
    const step = await run();
    const observed = record(
      '3',
      'SSM unreachable: only an S3 gateway endpoint, no NAT',
      'failed in preflight: missing the SSM endpoints, with their create-vpc-endpoint commands',
      step,
    );
    expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
    const message = errorLine(step.stdout);
    expect(message).toContain(`Subnet ${subnetIds[0]} does not reach SSM: missing com.amazonaws.${region}.ssm,`);
    for (const service of ['ssm', 'ssmmessages', 'ec2messages']) {
      expect(message).toContain(
        `aws ec2 create-vpc-endpoint --vpc-id ${vpcId} --vpc-endpoint-type Interface --service-name ` +
          `com.amazonaws.${region}.${service} --subnet-ids ${subnetIds[0]} --security-group-ids ${group} --private-dns-enabled`,
      );
    }
    const operations = (await aws.log()).map((e) => e.operation);
    expect(operations).toContain('DescribeVpcEndpoints');
    expect(operations).not.toContain('RunInstances');
    await expectClean(aws, [step, step.post], 'models', baseline);

    const applied = await applyPrinted(message);
    expect(applied).toEqual([
      `create-vpc-endpoint com.amazonaws.${region}.ssm`,
      `create-vpc-endpoint com.amazonaws.${region}.ssmmessages`,
      `create-vpc-endpoint com.amazonaws.${region}.ec2messages`,
      `authorize-security-group-ingress ${group}`,
    ]);
    const again = await run();
    expect(record('3', 'SSM unreachable, then the fix it prints', 'published', again)).toBe('published');
    expect(again.stdout).toContain(`SSM is reached from ${subnetIds[0]} through the interface endpoints`);
    await expectClean(aws, [again, again.post], 'models');
    baseline = served(aws, 'models');
  });

  it('a mount that needs the helper, with only an S3 interface endpoint, fails in preflight naming the gateway endpoint', async () => {
    const { region, vpcId, routeTableId, subnetIds, accessPointId } = aws.info;
    const { ec2 } = motoClients(aws);
    await deleteEndpoints((e) => e.ServiceName !== `com.amazonaws.${region}.s3`);
    const s3Interface = await createS3InterfaceEndpoint(aws, ec2);
    const viaAccessPoint = { 'access-point-id': accessPointId };
    // The access point's root directory is /lambda: nothing is published there yet, and a failed run leaves nothing.
    const target = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'lambda', 'models');
    const published = () => fs.existsSync(target) || fs.lstatSync(target, { throwIfNoEntry: false }) !== undefined;
    expect(published()).toBe(false);
    try {
      const step = await run(viaAccessPoint);
      const observed = record(
        '4',
        'mount helper needed, only an S3 interface endpoint (and SSM endpoints)',
        'failed in preflight: the repositories need an S3 gateway endpoint, with its command',
        step,
      );
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      const message = errorLine(step.stdout);
      expect(message).toContain(`Subnet ${subnetIds[0]} does not reach the Amazon Linux repositories`);
      expect(message).toContain(`access point ${accessPointId}`);
      expect(message).toContain(
        `The S3 interface endpoint ${s3Interface.VpcEndpoint?.VpcEndpointId} does not serve them`,
      );
      expect(message).toContain(
        `aws ec2 create-vpc-endpoint --vpc-id ${vpcId} --vpc-endpoint-type Gateway --service-name com.amazonaws.${region}.s3 --route-table-ids ${routeTableId}`,
      );
      const operations = (await aws.log()).map((e) => e.operation);
      expect(operations).not.toContain('RunInstances');
      await expectClean(aws, [step, step.post], 'lambda/models');
      expect(published()).toBe(false);

      expect(await applyPrinted(message)).toEqual([`create-vpc-endpoint com.amazonaws.${region}.s3`]);
      const again = await run(viaAccessPoint);
      expect(record('4', 'mount helper needed, then the fix it prints', 'published', again)).toBe('published');
      expect(again.stdout).toContain('The Amazon Linux repositories (for the EFS mount helper) are reached from');
      await expectClean(aws, [again, again.post], 'lambda/models');
      expect(Object.keys(served(aws, 'lambda/models').files)).toEqual(['a.txt']);
    } finally {
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [s3Interface.VpcEndpoint?.VpcEndpointId ?? ''] }));
    }
  });
});
