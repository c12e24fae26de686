import type { Route, SecurityGroup, VpcEndpoint } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { decideRepoRoute } from '../../../src/remote/preflight/repo-route.js';
import { decideSsmReach, type SsmReachFacts } from '../../../src/remote/preflight/ssm-reach.js';

const REGION = 'eu-central-1';
const AVAILABLE = 'available' as VpcEndpoint['State'];
const LOCAL: Route = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' };
const S3_ROUTE: Route = { DestinationPrefixListId: 'pl-6ea54007', GatewayId: 'vpce-gw', State: 'active' };
const NAT: Route = { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' };
const GATEWAY: VpcEndpoint = {
  VpcEndpointId: 'vpce-gw',
  VpcEndpointType: 'Gateway',
  ServiceName: `com.amazonaws.${REGION}.s3`,
  State: AVAILABLE,
};
const S3_INTERFACE: VpcEndpoint = {
  VpcEndpointId: 'vpce-s3if',
  VpcEndpointType: 'Interface',
  ServiceName: `com.amazonaws.${REGION}.s3`,
  State: AVAILABLE,
  PrivateDnsEnabled: true,
  SubnetIds: ['subnet-1'],
};
const ENDPOINT_GROUP: SecurityGroup = {
  GroupId: 'sg-endpoints',
  IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }],
};
const INSTANCE_GROUP: SecurityGroup = { GroupId: 'sg-instance', IpPermissions: [] };

const ssmEndpoint = (service: string, extra: Partial<VpcEndpoint> = {}): VpcEndpoint => ({
  VpcEndpointId: `vpce-${service}`,
  VpcEndpointType: 'Interface',
  ServiceName: `com.amazonaws.${REGION}.${service}`,
  State: AVAILABLE,
  PrivateDnsEnabled: true,
  SubnetIds: ['subnet-9'],
  Groups: [{ GroupId: 'sg-endpoints' }],
  ...extra,
});
const ALL_THREE = ['ssm', 'ssmmessages', 'ec2messages'].map((s) => ssmEndpoint(s));

function facts(routes: Route[], endpoints: VpcEndpoint[], extra: Partial<SsmReachFacts> = {}): SsmReachFacts {
  return {
    region: REGION,
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    subnetCidr: '10.0.1.0/24',
    mapPublicIpOnLaunch: false,
    table: { id: 'rtb-1', main: true, routes: [LOCAL, ...routes] },
    endpoints,
    instanceGroups: ['sg-instance'],
    groups: new Map([
      ['sg-endpoints', ENDPOINT_GROUP],
      ['sg-instance', INSTANCE_GROUP],
    ]),
    ...extra,
  };
}

describe('decideSsmReach', () => {
  it('reaches SSM through the three interface endpoints with private DNS, in any subnet of the VPC', () => {
    expect(decideSsmReach(facts([S3_ROUTE], [GATEWAY, ...ALL_THREE]))).toEqual({
      reachable: true,
      via: 'the interface endpoints ssm vpce-ssm, ssmmessages vpce-ssmmessages, ec2messages vpce-ec2messages (private DNS)',
    });
  });

  it('reaches SSM through a NAT gateway, or an internet gateway only with a public IP', () => {
    expect(decideSsmReach(facts([NAT], [])).reachable).toBe(true);
    const igw: Route = { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' };
    expect(decideSsmReach(facts([igw], [])).reachable).toBe(false);
    expect(decideSsmReach(facts([igw], [], { mapPublicIpOnLaunch: true })).reachable).toBe(true);
    const blackhole: Route = { ...NAT, State: 'blackhole' };
    expect(decideSsmReach(facts([blackhole], [])).reachable).toBe(false);
  });

  it('with only an S3 gateway endpoint, names the three missing and gives exactly their create-vpc-endpoint commands', () => {
    const decision = decideSsmReach(facts([S3_ROUTE], [GATEWAY]));
    expect(decision.reachable).toBe(false);
    if (decision.reachable) return;
    expect(decision.missing).toEqual([
      `com.amazonaws.${REGION}.ssm`,
      `com.amazonaws.${REGION}.ssmmessages`,
      `com.amazonaws.${REGION}.ec2messages`,
    ]);
    expect(decision.commands).toEqual([
      ...['ssm', 'ssmmessages', 'ec2messages'].map(
        (s) =>
          `aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Interface --service-name com.amazonaws.${REGION}.${s} ` +
          '--subnet-ids subnet-1 --security-group-ids sg-instance --private-dns-enabled',
      ),
      // The instance's group, used for the endpoints, must admit HTTPS from its members.
      'aws ec2 authorize-security-group-ingress --group-id sg-instance --protocol tcp --port 443 --source-group sg-instance',
    ]);
  });

  it('an endpoint deleted (still listed, as EC2 lists it for a while) is missing, and gets its create command', () => {
    const deleted = ssmEndpoint('ssm', { State: 'deleted' as VpcEndpoint['State'] });
    const decision = decideSsmReach(facts([S3_ROUTE], [deleted, ...ALL_THREE.slice(1)]));
    if (decision.reachable) throw new Error('reachable');
    expect(decision.commands[0]).toContain(
      `create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Interface --service-name com.amazonaws.${REGION}.ssm `,
    );
  });

  it('only the missing ones: one endpoint absent gives one command', () => {
    const decision = decideSsmReach(
      facts([S3_ROUTE], [GATEWAY, ...ALL_THREE.filter((e) => e.VpcEndpointId !== 'vpce-ec2messages')]),
    );
    if (decision.reachable) throw new Error('reachable');
    expect(decision.missing).toEqual([`com.amazonaws.${REGION}.ec2messages`]);
    expect(decision.commands.filter((c) => c.includes('create-vpc-endpoint'))).toHaveLength(1);
  });

  it('an endpoint with private DNS off, not available, or whose group refuses HTTPS does not count, each with its fix', () => {
    const cases: [Partial<VpcEndpoint>, string, string | undefined][] = [
      [
        { PrivateDnsEnabled: false },
        'has private DNS off',
        'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-ssm --private-dns-enabled',
      ],
      [{ State: 'pendingAcceptance' as VpcEndpoint['State'] }, 'is pendingacceptance, not available', undefined],
      [{ DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true } }, 'only for inbound resolvers', undefined],
      [
        { Groups: [{ GroupId: 'sg-instance' }] },
        'does not admit HTTPS (TCP 443)',
        'aws ec2 authorize-security-group-ingress --group-id sg-instance --protocol tcp --port 443 --source-group sg-instance',
      ],
    ];
    for (const [change, text, fix] of cases) {
      const endpoints = [ssmEndpoint('ssm', change), ...ALL_THREE.slice(1)];
      const decision = decideSsmReach(facts([S3_ROUTE], endpoints));
      if (decision.reachable) throw new Error(`reachable with ${JSON.stringify(change)}`);
      expect(decision.missing).toEqual([`com.amazonaws.${REGION}.ssm`]);
      expect(decision.why.join(' ')).toContain(text);
      expect(decision.commands).toEqual(fix ? [fix] : []);
    }
  });

  it('a group admitting HTTPS from the instance group, or from a CIDR covering the subnet, counts', () => {
    const byGroup: SecurityGroup = {
      GroupId: 'sg-endpoints',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: 'sg-instance' }] },
      ],
    };
    const groups = new Map([['sg-endpoints', byGroup]]);
    expect(decideSsmReach(facts([S3_ROUTE], ALL_THREE, { groups })).reachable).toBe(true);
    const elsewhere: SecurityGroup = {
      GroupId: 'sg-endpoints',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '192.168.0.0/16' }] }],
    };
    expect(
      decideSsmReach(facts([S3_ROUTE], ALL_THREE, { groups: new Map([['sg-endpoints', elsewhere]]) })).reachable,
    ).toBe(false);
  });
});

describe('decideRepoRoute', () => {
  it('a gateway endpoint on the route table or a NAT reaches the repositories', () => {
    expect(decideRepoRoute(facts([S3_ROUTE], [GATEWAY])).reachable).toBe(true);
    expect(decideRepoRoute(facts([NAT], [])).reachable).toBe(true);
  });

  it('an S3 interface endpoint does not, and the fix is a gateway endpoint on the route table', () => {
    const decision = decideRepoRoute(facts([], [S3_INTERFACE]));
    if (decision.reachable) throw new Error('reachable');
    expect(decision.why.join(' ')).toContain('The S3 interface endpoint vpce-s3if does not serve them');
    expect(decision.fix).toBe(
      `aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Gateway --service-name com.amazonaws.${REGION}.s3 --route-table-ids rtb-1`,
    );
  });

  it('a gateway endpoint of the VPC that is not on this route table: the fix adds it', () => {
    const decision = decideRepoRoute(facts([], [GATEWAY, S3_INTERFACE]));
    if (decision.reachable) throw new Error('reachable');
    expect(decision.fix).toBe('aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-gw --add-route-table-ids rtb-1');
  });
});
