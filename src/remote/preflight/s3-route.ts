/**
 * Whether the instance's subnet can reach S3, which everything the instance fetches comes from: the bootstrap's job,
 * the agent, the staged parts, S3 sources and the dnf repositories of Amazon Linux 2023. Without a route the
 * instance launches and only its downloads fail, so this is checked before launching. `decideS3Route` is the pure
 * decision over what DescribeSubnets, DescribeRouteTables and DescribeVpcEndpoints answer; `checkS3Route` asks them.
 *
 * What counts, in this order:
 * - An active route of the subnet's route table whose target is an available S3 gateway endpoint. AWS adds that
 *   route (destination: S3's prefix list, target: the endpoint) to every route table the endpoint is associated
 *   with ("Gateway endpoints", AWS PrivateLink Guide, https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
 * - An available S3 interface endpoint in the VPC with private DNS on, for all resolvers. Without private DNS, S3's
 *   regional name, which the presigned URLs use, still resolves to public addresses ("DNS hostnames", AWS
 *   PrivateLink Guide, https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html);
 *   with PrivateDnsOnlyForInboundResolverEndpoint, traffic from the VPC goes to the gateway endpoint instead
 *   (DnsOptions in botocore's ec2 service-2.json), which then must be on the route table. The endpoint's security
 *   group is not checked.
 * - A default route (0.0.0.0/0) to a NAT gateway; or to an internet gateway when the subnet gives instances a public
 *   IPv4 address (MapPublicIpOnLaunch: RunInstances here asks for none itself, see remote/instance/launch.ts), since "to use an
 *   internet gateway, ... instances must have a public IPv4 address" ("Enable internet access for a VPC using an
 *   internet gateway", VPC User Guide, https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html).
 * - A default route to a transit gateway, a network interface or instance (a NAT instance, a firewall), a virtual
 *   private gateway, a Gateway Load Balancer endpoint, a local gateway or a core network: they can lead to a NAT,
 *   but what lies beyond them cannot be seen from here, so they are accepted with a log line saying so.
 * Not counted: a blackhole route ("the route's target isn't available", Route.State in botocore's ec2 service-2.json),
 * and a default route to a VPC peering connection, which carries no traffic on to a gateway of the other VPC ("Edge
 * to edge routing through a gateway or private connection", VPC Peering Guide,
 * https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html).
 *
 * The subnet's route table is the one explicitly associated with it, else the VPC's main route table ("Subnet route
 * tables": "Otherwise, the subnet is implicitly associated with the main route table", VPC User Guide,
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html).
 */
import {
  DescribeSubnetsCommand,
  type EC2Client,
  paginateDescribeRouteTables,
  paginateDescribeVpcEndpoints,
  type Route,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
import { allPages } from '../../aws/pages.js';
import { PreflightError } from '../../core/errors.js';

export interface S3RouteFacts {
  region: string;
  subnetId: string;
  vpcId: string;
  /** Whether instances launched into the subnet get a public IPv4 address. */
  mapPublicIpOnLaunch: boolean;
  /** The subnet's route table; `main` when the subnet uses the VPC's main route table implicitly. */
  table: { id: string; main: boolean; routes: Route[] } | undefined;
  /** The VPC's endpoints (any service). */
  endpoints: VpcEndpoint[];
}

export type S3RouteDecision =
  /** `unchecked`: the route leads somewhere efsync cannot see beyond (a transit gateway, say). */
  { reachable: true; via: string; unchecked?: true } | { reachable: false; why: string[]; fix: string };

/**
 * The S3 endpoint service's names: com.amazonaws.<region>.s3 in every partition for a gateway endpoint; in the China
 * regions an interface endpoint's is cn.com.amazonaws.<region>.s3 (the exceptions of InterfaceVpcEndpointAwsService
 * and GatewayVpcEndpointAwsService in aws-cdk-lib's aws-ec2/lib/vpc-endpoint.ts).
 */
export function s3ServiceName(region: string): string {
  return `com.amazonaws.${region}.s3`;
}
const isS3Service = (region: string, name: string | undefined) =>
  name === s3ServiceName(region) || name === `cn.${s3ServiceName(region)}`;
const lower = (text: string | undefined) => (text ?? '').toLowerCase();

const DEFAULT_ROUTE = '0.0.0.0/0';

/** What a route leads to, in words, with its id. */
export function targetOf(route: Route): string {
  const gateway = route.GatewayId ?? '';
  if (route.NatGatewayId) return `the NAT gateway ${route.NatGatewayId}`;
  if (gateway.startsWith('igw-')) return `the internet gateway ${gateway}`;
  if (gateway.startsWith('vgw-')) return `the virtual private gateway ${gateway}`;
  if (gateway.startsWith('vpce-')) return `the endpoint ${gateway}`;
  if (route.TransitGatewayId) return `the transit gateway ${route.TransitGatewayId}`;
  if (route.VpcPeeringConnectionId) return `the VPC peering connection ${route.VpcPeeringConnectionId}`;
  if (route.InstanceId) return `the instance ${route.InstanceId}`;
  if (route.NetworkInterfaceId) return `the network interface ${route.NetworkInterfaceId}`;
  if (route.LocalGatewayId) return `the local gateway ${route.LocalGatewayId}`;
  if (route.CarrierGatewayId) return `the carrier gateway ${route.CarrierGatewayId}`;
  if (route.CoreNetworkArn) return `the core network ${route.CoreNetworkArn}`;
  return gateway ? `the gateway ${gateway}` : 'an unknown target';
}

export function decideS3Route(facts: S3RouteFacts): S3RouteDecision {
  const { region, table } = facts;
  const s3 = facts.endpoints.filter((e) => isS3Service(region, e.ServiceName));
  const usable = s3.filter((e) => lower(e.State) === 'available');
  const gateways = usable.filter((e) => lower(e.VpcEndpointType) === 'gateway');
  const routes = table?.routes ?? [];
  const active = routes.filter((r) => r.State !== 'blackhole');
  const tableName = table ? `${table.main ? "the VPC's main route table" : 'its route table'} ${table.id}` : '';
  const tableRef = `route table ${table?.id}`;

  const gateway = gateways.find((e) => active.some((r) => r.GatewayId === e.VpcEndpointId));
  if (gateway) return { reachable: true, via: `the S3 gateway endpoint ${gateway.VpcEndpointId} on ${tableRef}` };
  const interfaces = usable.filter((e) => lower(e.VpcEndpointType) === 'interface');
  const privateDns = interfaces.find(
    (e) => e.PrivateDnsEnabled && e.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint !== true,
  );
  if (privateDns)
    return { reachable: true, via: `the S3 interface endpoint ${privateDns.VpcEndpointId} (private DNS)` };

  const why: string[] = [];
  const byDefault = routes.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
  if (byDefault && byDefault.State !== 'blackhole') {
    const target = targetOf(byDefault);
    const via = `${target} (${DEFAULT_ROUTE} in ${tableRef})`;
    if (byDefault.NatGatewayId) return { reachable: true, via };
    if (byDefault.GatewayId?.startsWith('igw-')) {
      if (facts.mapPublicIpOnLaunch)
        return { reachable: true, via: `${via}, with the public IPv4 address the subnet gives` };
      why.push(
        `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}, but the subnet gives instances no public IPv4 ` +
          'address (MapPublicIpOnLaunch is off), and without one an instance cannot use an internet gateway.',
      );
    } else if (byDefault.VpcPeeringConnectionId) {
      why.push(
        `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}, and a peering connection carries no traffic ` +
          'on to a NAT or internet gateway of the other VPC.',
      );
    } else {
      return { reachable: true, via, unchecked: true };
    }
  } else if (byDefault) {
    why.push(
      `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${targetOf(byDefault)}, which no longer exists (a blackhole route).`,
    );
  } else if (table) {
    why.push(
      `${capital(tableName)} has no S3 gateway endpoint and no default route (${DEFAULT_ROUTE}) to a NAT gateway.`,
    );
  } else {
    why.push('No route table was found for it.');
  }
  for (const e of interfaces) {
    why.push(
      e.PrivateDnsEnabled
        ? `The S3 interface endpoint ${e.VpcEndpointId} has private DNS only for inbound resolvers, so traffic from the VPC goes to a gateway endpoint.`
        : `The S3 interface endpoint ${e.VpcEndpointId} has private DNS off, so S3's regional name, which the presigned URLs use, resolves to public addresses.`,
    );
  }
  for (const e of s3.filter((e) => !usable.includes(e)))
    why.push(`The S3 endpoint ${e.VpcEndpointId} is ${lower(e.State) || 'in an unknown state'}.`);
  const tableId = table?.id ?? 'rtb-…';
  const elsewhere = gateways[0];
  if (elsewhere) why.push(`The VPC's S3 gateway endpoint ${elsewhere.VpcEndpointId} is not on ${tableName || 'it'}.`);
  const fix = elsewhere
    ? `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${elsewhere.VpcEndpointId} --add-route-table-ids ${tableId}`
    : `aws ec2 create-vpc-endpoint --vpc-id ${facts.vpcId} --vpc-endpoint-type Gateway --service-name ${s3ServiceName(region)} --route-table-ids ${tableId}`;
  return { reachable: false, why, fix };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What the network checks read of a subnet: its VPC, CIDR, route table and the VPC's endpoints. */
export async function readSubnetNetwork(
  clients: AwsClients,
  subnetId: string,
): Promise<S3RouteFacts & { subnetCidr: string | undefined }> {
  const { ec2 } = clients;
  const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0];
  const vpcId = subnet?.VpcId ?? '';
  return {
    region: clients.region,
    subnetId,
    vpcId,
    subnetCidr: subnet?.CidrBlock,
    mapPublicIpOnLaunch: subnet?.MapPublicIpOnLaunch === true,
    table: await routeTable(ec2, subnetId, vpcId),
    endpoints: await vpcEndpoints(ec2, vpcId),
  };
}

/**
 * Reads the subnet, its route table and the VPC's endpoints; throws a PreflightError with the fix when S3 is out of
 * reach. Returns what it read, for the checks of SSM and of the package repositories (ssm-reach.ts, repo-route.ts).
 */
export async function checkS3Route(
  clients: AwsClients,
  subnetId: string,
  log: (line: string) => void,
): Promise<S3RouteFacts & { subnetCidr: string | undefined }> {
  const facts = await readSubnetNetwork(clients, subnetId);
  const decision = decideS3Route(facts);
  if (decision.reachable) {
    log(
      decision.unchecked
        ? `${subnetId} reaches S3, if at all, through ${decision.via}, which efsync cannot see beyond: if S3 is not ` +
            "reachable that way, the instance's first download fails within about a minute, naming S3"
        : `S3 is reached from ${subnetId} through ${decision.via}`,
    );
    return facts;
  }
  throw new PreflightError(
    `Subnet ${subnetId} has no route to S3. ${decision.why.join(' ')} The instance downloads its job, the agent, ` +
      'the files and Amazon Linux packages from S3, so it would launch and then fail. Add an S3 gateway endpoint (free) to the route table: ' +
      `${decision.fix} (or route ${DEFAULT_ROUTE} to a NAT gateway).`,
  );
}

async function routeTable(ec2: EC2Client, subnetId: string, vpcId: string): Promise<S3RouteFacts['table']> {
  const tables = (filters: { Name: string; Values: string[] }[]) =>
    allPages(paginateDescribeRouteTables({ client: ec2 }, { Filters: filters }), (page) => page.RouteTables);
  const explicit = (await tables([{ Name: 'association.subnet-id', Values: [subnetId] }]))[0];
  const table =
    explicit ??
    (
      await tables([
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ])
    )[0];
  return table && { id: table.RouteTableId ?? '', main: !explicit, routes: table.Routes ?? [] };
}

async function vpcEndpoints(ec2: EC2Client, vpcId: string): Promise<VpcEndpoint[]> {
  return allPages(
    paginateDescribeVpcEndpoints({ client: ec2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    (page) => page.VpcEndpoints,
  );
}
