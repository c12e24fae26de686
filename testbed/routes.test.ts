// A route to S3 on the test bed: which instances have one (routes.ts, from moto's route tables and endpoints), that
// an instance without one cannot connect to the bed's S3, and that the bootstrap then gives up within about a minute,
// naming S3. Then which instances SSM has Online (their subnet reaches its endpoints or a NAT, their role lets the
// agent in), and which reach the Amazon Linux repositories with dnf.
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateVpcEndpointCommand,
  DeleteRouteCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  DisassociateRouteTableCommand,
  type EC2Client,
  ModifySubnetAttributeCommand,
  RunInstancesCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../src/remote/instance/ssm.ts';
import {
  clients,
  createS3InterfaceEndpoint,
  launch,
  launchOnline,
  motoClients,
  sendScript,
  waitDone,
} from '../test/support/local-aws.ts';
import { AGENT_ACTIONS } from './agent-role.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { reachesRepos, reachesS3 } from './routes.ts';

let aws: LocalAws;
let moto: EC2Client;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  // Its cases leave instances running side by side, past AWS's default Standard quota of 5 vCPUs: this account has
  // raised it (quotas.ts).
  await aws.settings({ vcpuQuotas: { standard: 64 } });
  moto = motoClients(aws).ec2;
}, 60_000);
afterAll(async () => {
  moto?.destroy();
  await aws?.stop();
});

/** The seeded S3 gateway endpoint goes, as `aws ec2 delete-vpc-endpoints` would take it; the returned function brings one back. */
async function removeS3Endpoint(): Promise<() => Promise<void>> {
  const { vpcId, routeTableId, region } = aws.info;
  const found = await moto.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  const ids = (found.VpcEndpoints ?? [])
    .filter((e) => e.State?.toLowerCase() === 'available' && e.ServiceName === `com.amazonaws.${region}.s3`)
    .map((e) => e.VpcEndpointId ?? '');
  expect(ids).toHaveLength(1);
  await moto.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ids }));
  return async () => {
    await moto.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        VpcEndpointType: 'Gateway',
        ServiceName: `com.amazonaws.${region}.s3`,
        RouteTableIds: [routeTableId],
      }),
    );
  };
}

async function runIn(subnetId: string): Promise<string> {
  const run = await moto.send(
    new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SubnetId: subnetId }),
  );
  return run.Instances?.[0]?.InstanceId ?? '';
}

describe('which instances reach S3', () => {
  it('the seeded subnets do, through the gateway endpoint on the main route table; not once it is deleted', async () => {
    const id = await runIn(aws.info.subnetIds[0] ?? '');
    expect(await reachesS3(moto, aws.info.region, id)).toBe(true);
    const restore = await removeS3Endpoint();
    try {
      expect(await reachesS3(moto, aws.info.region, id)).toBe(false);
    } finally {
      await restore();
    }
    expect(await reachesS3(moto, aws.info.region, id)).toBe(true);
  });

  it('a subnet with its own route table follows that table: NAT gateway, internet gateway with a public IP', async () => {
    const { vpcId, region } = aws.info;
    const subnetId = aws.info.subnetIds[1] ?? '';
    const table = (await moto.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId;
    const association = await moto.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId }));
    try {
      const privateOne = await runIn(subnetId);
      // The main table's gateway endpoint no longer applies: the explicit association wins.
      expect(await reachesS3(moto, region, privateOne)).toBe(false);

      const eip = await moto.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      const nat = await moto.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
      const all = { RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0' };
      await moto.send(new CreateRouteCommand({ ...all, NatGatewayId: nat.NatGateway?.NatGatewayId }));
      expect(await reachesS3(moto, region, privateOne)).toBe(true);
      await moto.send(new DeleteRouteCommand(all));

      const igw = (await moto.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
      await moto.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
      await moto.send(new CreateRouteCommand({ ...all, GatewayId: igw }));
      // An internet gateway serves only an instance with a public IPv4 address.
      expect(await reachesS3(moto, region, privateOne)).toBe(false);
      await moto.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } }));
      const publicOne = await runIn(subnetId);
      expect(await reachesS3(moto, region, publicOne)).toBe(true);
      await moto.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: false } }));
    } finally {
      await moto.send(new DisassociateRouteTableCommand({ AssociationId: association.AssociationId }));
    }
  });
});

describe('an instance without a route to S3', { timeout: 120_000 }, () => {
  /** A script that GETs the URL from the instance and prints the status, or why it failed. */
  const probe = (url: string) => [
    `export URL='${url}'`,
    'python3 - <<"EOF"',
    'import os, sys, urllib.request',
    'try: print(urllib.request.urlopen(os.environ["URL"], timeout=5).status)',
    'except Exception as e: print("failed:", e); sys.exit(1)',
    'EOF',
  ];

  it('cannot connect to the bed’s S3, while one with a route can', async () => {
    const id = await launchOnline(aws);
    const script = probe(`${aws.info.endpoint}/${aws.info.stagingBucket}`);
    const reached = await waitDone(aws, await sendScript(aws, id, script), id);
    expect(reached.StandardOutputContent).toMatch(/^\d{3}\n$|failed: HTTP Error \d{3}/);
    const restore = await removeS3Endpoint();
    try {
      const cut = await waitDone(aws, await sendScript(aws, id, script), id);
      expect(cut).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
      expect(cut.StandardOutputContent).toContain('failed: <urlopen error [Errno 101] Network is unreachable>');
    } finally {
      await restore();
    }
  });

  it('runs the bootstrap, which gives up within about a minute and names S3; with a route, S3 answers at once', async () => {
    const id = await launchOnline(aws);
    const lines = bootstrap(`${aws.info.endpoint}/${aws.info.stagingBucket}/efsync/runs/none/job.json`, 'a'.repeat(64));
    const restore = await removeS3Endpoint();
    let started = 0;
    try {
      started = Date.now();
      const cut = await waitDone(aws, await sendScript(aws, id, lines), id, 100_000);
      const seconds = (Date.now() - started) / 1000;
      expect(cut).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
      expect(cut.StandardErrorContent).toMatch(
        /^efsync bootstrap: cannot reach S3 to download the job \(URLError: \[Errno 101\] Network is unreachable; tried for 5\d s\): the instance's subnet needs a route to S3 \(an S3 gateway endpoint on its route table, or a NAT gateway\)\n$/,
      );
      expect(seconds).toBeGreaterThan(50);
      expect(seconds).toBeLessThan(75);
    } finally {
      await restore();
    }
    // The same bootstrap with a route: S3 answers (the object does not exist), and the bootstrap does not retry that.
    started = Date.now();
    const answered = await waitDone(aws, await sendScript(aws, id, lines), id);
    expect(answered.StandardErrorContent).toMatch(/^efsync bootstrap: S3 refused to send the job \(HTTP 40[34]\)\n$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

/** What DescribeInstanceInformation says of the instance: its PingStatus, or undefined when SSM does not list it. */
async function pingStatus(id: string): Promise<string | undefined> {
  const info = await clients(aws).ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
  );
  return info.InstanceInformationList?.[0]?.PingStatus;
}

async function vpcEndpoint(service: string): Promise<VpcEndpoint> {
  const { vpcId, region } = aws.info;
  const found = await moto.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  const endpoint = (found.VpcEndpoints ?? []).find(
    (e) => e.ServiceName === `com.amazonaws.${region}.${service}` && e.State?.toLowerCase() === 'available',
  );
  if (!endpoint) throw new Error(`no ${service} endpoint`);
  return endpoint;
}

// The bed's online delay is 0 here: an instance that reaches SSM is Online at once, so one that is not listed right
// after its launch is not registered, not merely late.
describe('which instances SSM has Online', () => {
  it('one whose subnet reaches ssm, ssmmessages and ec2messages and whose role lets the agent in; not without an endpoint', async () => {
    const seeded = await launch(aws);
    expect(await pingStatus(seeded)).toBe('Online');
    const ssmmessages = await vpcEndpoint('ssmmessages');
    await moto.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ssmmessages.VpcEndpointId ?? ''] }));
    try {
      const cut = await launch(aws);
      expect(await pingStatus(cut)).toBeUndefined();
    } finally {
      await moto.send(
        new CreateVpcEndpointCommand({
          VpcId: aws.info.vpcId,
          VpcEndpointType: 'Interface',
          ServiceName: ssmmessages.ServiceName,
          SubnetIds: ssmmessages.SubnetIds,
          SecurityGroupIds: (ssmmessages.Groups ?? []).map((g) => g.GroupId ?? ''),
          PrivateDnsEnabled: true,
        }),
      );
    }
    expect(await pingStatus(await launch(aws))).toBe('Online');
  });

  it('an endpoint with private DNS off, or whose group does not admit HTTPS from the instance, does not count', async () => {
    const ssm = await vpcEndpoint('ssm');
    await moto.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ssm.VpcEndpointId ?? ''] }));
    const again = (extra: { PrivateDnsEnabled: boolean; SecurityGroupIds?: string[] }) =>
      moto.send(
        new CreateVpcEndpointCommand({
          VpcId: aws.info.vpcId,
          VpcEndpointType: 'Interface',
          ServiceName: ssm.ServiceName,
          SubnetIds: ssm.SubnetIds,
          SecurityGroupIds: (ssm.Groups ?? []).map((g) => g.GroupId ?? ''),
          ...extra,
        }),
      );
    const drop = async (created: { VpcEndpoint?: { VpcEndpointId?: string | undefined } | undefined }) =>
      moto.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [created.VpcEndpoint?.VpcEndpointId ?? ''] }));
    try {
      const noDns = await again({ PrivateDnsEnabled: false });
      expect(await pingStatus(await launch(aws))).toBeUndefined();
      await drop(noDns);
      // The mount targets' group admits NFS only: HTTPS from the instance is refused.
      const wrongGroup = await again({
        PrivateDnsEnabled: true,
        SecurityGroupIds: [aws.info.mountTargetSecurityGroupId],
      });
      expect(await pingStatus(await launch(aws))).toBeUndefined();
      await drop(wrongGroup);
    } finally {
      await again({ PrivateDnsEnabled: true });
    }
    expect(await pingStatus(await launch(aws))).toBe('Online');
  });

  it('without any SSM endpoint, one whose subnet routes 0.0.0.0/0 to a NAT gateway', async () => {
    const { vpcId } = aws.info;
    const ssmEndpoints = await Promise.all(['ssm', 'ssmmessages', 'ec2messages'].map((s) => vpcEndpoint(s)));
    await moto.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ssmEndpoints.map((e) => e.VpcEndpointId ?? '') }));
    const subnetId = aws.info.subnetIds[1] ?? '';
    const table = (await moto.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId;
    const association = await moto.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId }));
    try {
      const eip = await moto.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      const nat = await moto.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
      await moto.send(
        new CreateRouteCommand({
          RouteTableId: table,
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: nat.NatGateway?.NatGatewayId,
        }),
      );
      expect(await pingStatus(await launch(aws, undefined, { SubnetId: subnetId }))).toBe('Online');
      // The first subnet keeps the main route table: no default route, and no endpoint now.
      expect(await pingStatus(await launch(aws))).toBeUndefined();
    } finally {
      await moto.send(new DisassociateRouteTableCommand({ AssociationId: association.AssociationId }));
      for (const e of ssmEndpoints) {
        await moto.send(
          new CreateVpcEndpointCommand({
            VpcId: vpcId,
            VpcEndpointType: 'Interface',
            ServiceName: e.ServiceName,
            SubnetIds: e.SubnetIds,
            SecurityGroupIds: (e.Groups ?? []).map((g) => g.GroupId ?? ''),
            PrivateDnsEnabled: true,
          }),
        );
      }
    }
    expect(await pingStatus(await launch(aws))).toBe('Online');
  });

  it('not when the instance role lacks the agent’s permissions', async () => {
    const role = aws.info.stacks[aws.info.stackName]?.instanceRoleArn.split('/').pop() ?? '';
    const only = (actions: string[]) =>
      aws.control('PUT', `/roles/${role}/policies/ssm-agent-run-command`, {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      });
    await only(['ssm:UpdateInstanceInformation']);
    try {
      expect(await pingStatus(await launch(aws))).toBeUndefined();
    } finally {
      await only(AGENT_ACTIONS);
    }
    expect(await pingStatus(await launch(aws))).toBe('Online');
  });
});

describe('which instances reach the Amazon Linux repositories', { timeout: 60_000 }, () => {
  it('dnf fails with only an S3 interface endpoint (S3 itself reached), and installs through the gateway endpoint', async () => {
    const { region } = aws.info;
    const id = await launchOnline(aws);
    const install = ['dnf install -y amazon-efs-utils', 'command -v mount.efs'];
    expect(await waitDone(aws, await sendScript(aws, id, install), id)).toMatchObject({ Status: 'Success' });
    const restore = await removeS3Endpoint();
    const s3Interface = await createS3InterfaceEndpoint(aws, moto);
    try {
      expect(await reachesS3(moto, region, id)).toBe(true);
      expect(await reachesRepos(moto, region, id)).toBe(false);
      const failed = await waitDone(aws, await sendScript(aws, id, ['dnf install -y nfs-utils']), id);
      expect(failed).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
      expect(failed.StandardErrorContent).toContain(
        "Error: Failed to download metadata for repo 'amazonlinux': Cannot prepare internal mirrorlist: Curl error (28)",
      );
      expect(failed.StandardErrorContent).toContain(`.s3.dualstack.${region}.amazonaws.com/`);
    } finally {
      await moto.send(
        new DeleteVpcEndpointsCommand({ VpcEndpointIds: [s3Interface.VpcEndpoint?.VpcEndpointId ?? ''] }),
      );
      await restore();
    }
    expect(await reachesRepos(moto, region, id)).toBe(true);
  });
});
