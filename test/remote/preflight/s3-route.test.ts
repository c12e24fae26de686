import { EC2Client, type Route, type VpcEndpoint } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { launchInput } from '../../../src/remote/instance/launch.js';
import { PreflightError } from '../../../src/remote/preflight/preflight.js';
import { checkS3Route, decideS3Route, type S3RouteFacts } from '../../../src/remote/preflight/s3-route.js';
import { sdkFake } from '../../support/sdk-fake.ts';

const REGION = 'eu-central-1';
// The service model's State enum says "Available"; EC2 answers "available" (and moto does): both count.
const AVAILABLE = 'available' as VpcEndpoint['State'];
const LOCAL: Route = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' };
const S3_ROUTE: Route = { DestinationPrefixListId: 'pl-6ea54007', GatewayId: 'vpce-gw', State: 'active' };
const GATEWAY: VpcEndpoint = {
  VpcEndpointId: 'vpce-gw',
  VpcEndpointType: 'Gateway',
  ServiceName: `com.amazonaws.${REGION}.s3`,
  State: AVAILABLE,
  RouteTableIds: ['rtb-1'],
};
const INTERFACE: VpcEndpoint = {
  VpcEndpointId: 'vpce-if',
  VpcEndpointType: 'Interface',
  ServiceName: `com.amazonaws.${REGION}.s3`,
  State: AVAILABLE,
  PrivateDnsEnabled: true,
};
const defaultTo = (target: Partial<Route>, state = 'active'): Route => ({
  DestinationCidrBlock: '0.0.0.0/0',
  State: state as Route['State'],
  ...target,
});

function facts(routes: Route[], endpoints: VpcEndpoint[] = [], extra: Partial<S3RouteFacts> = {}): S3RouteFacts {
  return {
    region: REGION,
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    mapPublicIpOnLaunch: false,
    table: { id: 'rtb-1', main: true, routes: [LOCAL, ...routes] },
    endpoints,
    ...extra,
  };
}

const CREATE = `aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Gateway --service-name com.amazonaws.${REGION}.s3 --route-table-ids rtb-1`;

describe('decideS3Route: what reaches S3', () => {
  it('an S3 gateway endpoint on the route table', () => {
    expect(decideS3Route(facts([S3_ROUTE], [GATEWAY]))).toEqual({
      reachable: true,
      via: 'the S3 gateway endpoint vpce-gw on route table rtb-1',
    });
  });

  it('an S3 interface endpoint with private DNS, in any partition (cn.com.amazonaws in China)', () => {
    expect(decideS3Route(facts([], [INTERFACE]))).toMatchObject({
      reachable: true,
      via: expect.stringContaining('vpce-if'),
    });
    const china = { ...INTERFACE, ServiceName: 'cn.com.amazonaws.cn-north-1.s3' };
    expect(decideS3Route(facts([], [china], { region: 'cn-north-1' }))).toMatchObject({ reachable: true });
  });

  it('a default route to a NAT gateway', () => {
    expect(decideS3Route(facts([defaultTo({ NatGatewayId: 'nat-1' })]))).toEqual({
      reachable: true,
      via: 'the NAT gateway nat-1 (0.0.0.0/0 in route table rtb-1)',
    });
  });

  it('a default route to an internet gateway when the subnet gives instances a public IPv4 address', () => {
    const decision = decideS3Route(facts([defaultTo({ GatewayId: 'igw-1' })], [], { mapPublicIpOnLaunch: true }));
    expect(decision).toMatchObject({ reachable: true, via: expect.stringContaining('igw-1') });
  });

  it.each([
    ['a transit gateway', { TransitGatewayId: 'tgw-1' }, 'the transit gateway tgw-1'],
    ['a NAT instance', { InstanceId: 'i-1', NetworkInterfaceId: 'eni-1' }, 'the instance i-1'],
    ['a network interface', { NetworkInterfaceId: 'eni-1' }, 'the network interface eni-1'],
    ['a virtual private gateway', { GatewayId: 'vgw-1' }, 'the virtual private gateway vgw-1'],
    ['a Gateway Load Balancer endpoint', { GatewayId: 'vpce-fw' }, 'the endpoint vpce-fw'],
  ])('a default route to %s, unchecked beyond it', (_what, target, words) => {
    expect(decideS3Route(facts([defaultTo(target)]))).toEqual({
      reachable: true,
      via: `${words} (0.0.0.0/0 in route table rtb-1)`,
      unchecked: true,
    });
  });
});

describe('decideS3Route: what does not', () => {
  const refused = (f: S3RouteFacts) => {
    const decision = decideS3Route(f);
    if (decision.reachable) throw new Error(`reachable through ${decision.via}`);
    return decision;
  };

  it('nothing but the local route: the fix creates a gateway endpoint on the route table', () => {
    expect(refused(facts([]))).toEqual({
      reachable: false,
      why: [
        "The VPC's main route table rtb-1 has no S3 gateway endpoint and no default route (0.0.0.0/0) to a NAT gateway.",
      ],
      fix: CREATE,
    });
  });

  it('names an explicitly associated route table as the subnet’s own', () => {
    const f = facts([]);
    f.table = { id: 'rtb-1', main: false, routes: [LOCAL] };
    expect(refused(f).why[0]).toMatch(/^Its route table rtb-1 has no S3 gateway endpoint/);
  });

  it('an internet gateway without a public IPv4 address', () => {
    expect(refused(facts([defaultTo({ GatewayId: 'igw-1' })])).why).toEqual([
      "The VPC's main route table rtb-1 sends 0.0.0.0/0 to the internet gateway igw-1, but the subnet gives instances " +
        'no public IPv4 address (MapPublicIpOnLaunch is off), and without one an instance cannot use an internet gateway.',
    ]);
  });

  it('blackhole routes: the NAT gateway or the endpoint is gone', () => {
    expect(refused(facts([defaultTo({ NatGatewayId: 'nat-1' }, 'blackhole')])).why[0]).toContain(
      'to the NAT gateway nat-1, which no longer exists (a blackhole route)',
    );
    expect(refused(facts([{ ...S3_ROUTE, State: 'blackhole' }], [GATEWAY])).fix).toBe(
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-gw --add-route-table-ids rtb-1',
    );
  });

  it('a default route to a VPC peering connection', () => {
    expect(refused(facts([defaultTo({ VpcPeeringConnectionId: 'pcx-1' })])).why[0]).toContain(
      'a peering connection carries no traffic on to a NAT or internet gateway of the other VPC',
    );
  });

  it("the VPC's S3 gateway endpoint on another route table: the fix adds this one to it", () => {
    const decision = refused(facts([], [{ ...GATEWAY, RouteTableIds: ['rtb-2'] }]));
    expect(decision.why).toContain("The VPC's S3 gateway endpoint vpce-gw is not on the VPC's main route table rtb-1.");
    expect(decision.fix).toBe('aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-gw --add-route-table-ids rtb-1');
  });

  it('an endpoint that is not available, whatever the case of its state', () => {
    const deleted = { ...GATEWAY, State: 'deleted' as VpcEndpoint['State'] };
    const decision = refused(facts([S3_ROUTE], [deleted]));
    expect(decision.why).toContain('The S3 endpoint vpce-gw is deleted.');
    expect(decision.fix).toBe(CREATE);
    expect(decideS3Route(facts([S3_ROUTE], [{ ...GATEWAY, State: 'Available' }]))).toMatchObject({ reachable: true });
  });

  it('interface endpoints whose private DNS does not serve the VPC', () => {
    const noDns = refused(facts([], [{ ...INTERFACE, PrivateDnsEnabled: false }]));
    expect(noDns.why).toContain(
      "The S3 interface endpoint vpce-if has private DNS off, so S3's regional name, which the presigned URLs use, resolves to public addresses.",
    );
    const inbound = { ...INTERFACE, DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true } };
    expect(refused(facts([], [inbound])).why[1]).toContain('private DNS only for inbound resolvers');
  });

  it("endpoints of other services or another region's S3", () => {
    const dynamo = { ...GATEWAY, ServiceName: `com.amazonaws.${REGION}.dynamodb` };
    const otherRegion = { ...INTERFACE, ServiceName: 'com.amazonaws.us-east-1.s3' };
    expect(refused(facts([{ ...S3_ROUTE }], [dynamo, otherRegion])).fix).toBe(CREATE);
  });

  it('no route table at all', () => {
    const decision = refused({ ...facts([]), table: undefined });
    expect(decision.why).toEqual(['No route table was found for it.']);
    expect(decision.fix).toContain('--route-table-ids rtb-…');
  });
});

describe('checkS3Route', () => {
  /** An EC2 client that answers from the given route tables (by filter) and endpoints. */
  function clientsWith(tables: { explicit?: Route[]; main: Route[] }, endpoints: VpcEndpoint[]) {
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    const ec2 = sdkFake(
      EC2Client,
      async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        calls.push({ name, input: command.input });
        if (name === 'DescribeSubnets') return { Subnets: [{ SubnetId: 'subnet-1', VpcId: 'vpc-1' }] };
        if (name === 'DescribeVpcEndpoints') return { VpcEndpoints: endpoints };
        const filters = command.input.Filters as { Name: string }[];
        if (filters[0]?.Name === 'association.subnet-id')
          return { RouteTables: tables.explicit ? [{ RouteTableId: 'rtb-own', Routes: tables.explicit }] : [] };
        return { RouteTables: [{ RouteTableId: 'rtb-1', Routes: tables.main }] };
      },
    );
    return { clients: { region: REGION, ec2 } as unknown as AwsClients, calls };
  }

  it("uses the subnet's own route table when it has one", async () => {
    const { clients, calls } = clientsWith({ explicit: [LOCAL], main: [S3_ROUTE] }, [GATEWAY]);
    await expect(checkS3Route(clients, 'subnet-1', () => {})).rejects.toThrow(
      /^Subnet subnet-1 has no route to S3\. Its route table rtb-own has no S3 gateway endpoint/,
    );
    expect(calls.map((c) => c.name)).toEqual(['DescribeSubnets', 'DescribeRouteTables', 'DescribeVpcEndpoints']);
  });

  it("else the VPC's main route table, and logs the way to S3", async () => {
    const { clients, calls } = clientsWith({ main: [S3_ROUTE] }, [GATEWAY]);
    const lines: string[] = [];
    await checkS3Route(clients, 'subnet-1', (line) => lines.push(line));
    expect(lines).toEqual(['S3 is reached from subnet-1 through the S3 gateway endpoint vpce-gw on route table rtb-1']);
    expect(calls[2]?.input).toEqual({
      Filters: [
        { Name: 'vpc-id', Values: ['vpc-1'] },
        { Name: 'association.main', Values: ['true'] },
      ],
    });
    expect(calls[3]?.input).toMatchObject({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] });
  });

  it('fails with a PreflightError that gives the exact fix', async () => {
    const { clients } = clientsWith({ main: [] }, []);
    const error = await checkS3Route(clients, 'subnet-1', () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as Error).message).toContain(`Add an S3 gateway endpoint (free) to the route table: ${CREATE}`);
    expect((error as Error).message).toContain('or route 0.0.0.0/0 to a NAT gateway');
  });

  it('logs a route it cannot see beyond as such', async () => {
    const { clients } = clientsWith({ main: [defaultTo({ TransitGatewayId: 'tgw-1' })] }, []);
    const lines: string[] = [];
    await checkS3Route(clients, 'subnet-1', (line) => lines.push(line));
    expect(lines[0]).toMatch(/^subnet-1 reaches S3, if at all, through the transit gateway tgw-1 .*cannot see beyond/);
  });
});

it('the launch asks for no public IPv4 address: the subnet decides (why an internet gateway needs MapPublicIpOnLaunch)', () => {
  const input = launchInput(
    {
      runId: 'r',
      stack: 'efsync',
      fileSystemId: 'fs-1',
      instanceProfile: 'p',
      timeoutMinutes: 5,
      checked: {
        subnetId: 'subnet-1',
        availabilityZone: `${REGION}a`,
        securityGroupIds: ['sg-1'],
        mount: { fileSystemId: 'fs-1', dnsName: 'fs-1.efs.example', iam: false, plainNfsAllowed: true, reason: 'r' },
        accessPointRoot: '/',
        instanceTypes: [{ type: 't3.small', architecture: 'x86_64' }],
      },
    },
    'ami-1',
    't3.small',
    new Date(),
  );
  expect(input.NetworkInterfaces).toBeUndefined();
  expect(input.SubnetId).toBe('subnet-1');
});
