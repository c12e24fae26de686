// Whether a test bed instance reaches S3, as its VPC would route it, judged from what moto stores. An instance that
// does not runs its scripts without a network (sandbox.ts), so the bed's S3 on 127.0.0.1 is out of its reach, as S3
// is on AWS for an instance whose subnet has no route to it.
//
// AWS's rules, as the VPC documents them:
// - The subnet's route table is the one explicitly associated with it, else the VPC's main route table ("Otherwise,
//   the subnet is implicitly associated with the main route table", Subnet route tables, VPC User Guide,
//   https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html).
// - A gateway endpoint is reached through the route AWS adds to each route table associated with it, destination
//   S3's prefix list and target the endpoint (Gateway endpoints, AWS PrivateLink Guide,
//   https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html). moto adds and removes that route
//   with the endpoint (CreateVpcEndpoint, DeleteVpcEndpoints).
// - An interface endpoint serves S3's regional name only with private DNS; without it the name resolves to public
//   addresses (DNS hostnames, https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html).
// - A default route reaches S3's public addresses through a NAT gateway, or through an internet gateway for an
//   instance with a public IPv4 address (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html);
//   not through a VPC peering connection (no edge to edge routing,
//   https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html). What lies beyond a transit gateway or a
//   network interface moto does not model: the bed counts them as leading to S3.
// - A blackhole route leads nowhere (Route.State, botocore's ec2 service-2.json).
//
// Which instances SSM would see and which reach Amazon Linux's package repositories, by the same VPC rules:
// - SSM Agent reaches com.amazonaws.<region>.ssm, .ssmmessages and .ec2messages over HTTPS ("Improve the security of EC2
//   instances by using VPC endpoints for Systems Manager", https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html),
//   through interface endpoints with private DNS whose security group admits 443 from the instance, or through a NAT
//   (or an internet gateway with a public IP). "Troubleshooting managed node availability"
//   (https://docs.aws.amazon.com/systems-manager/latest/userguide/troubleshooting-managed-nodes.html) names both
//   conditions of a node being managed: connectivity to those endpoints, and an instance profile whose role grants
//   the agent's permissions; without either the node never registers, and SSM does not list it.
// - dnf reaches AL2023's repositories by S3's dualstack names (amazonlinux/amazon-linux-2023 #1084, #535), which an
//   S3 interface endpoint does not serve (https://docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints.html):
//   only a gateway endpoint on the route table, or the default route, leads there.
import {
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type Instance,
  type IpPermission,
  type Route,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';

interface InstanceNetwork {
  instance: Instance;
  routes: Route[];
  /** The VPC's available endpoints. */
  endpoints: VpcEndpoint[];
}

async function instanceNetwork(ec2: EC2Client, instanceId: string): Promise<InstanceNetwork | undefined> {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
    ?.Instances?.[0];
  return instance ? networkOf(ec2, instance) : undefined;
}

async function networkOf(ec2: EC2Client, instance: Instance): Promise<InstanceNetwork | undefined> {
  const subnetId = instance.SubnetId;
  const vpcId = instance.VpcId;
  if (!subnetId || !vpcId) return undefined;
  const tables = async (filters: { Name: string; Values: string[] }[]) =>
    (await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }))).RouteTables ?? [];
  const table =
    (await tables([{ Name: 'association.subnet-id', Values: [subnetId] }]))[0] ??
    (
      await tables([
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ])
    )[0];
  const endpoints = (
    (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
      .VpcEndpoints ?? []
  ).filter((e) => e.State?.toLowerCase() === 'available');
  return { instance, routes: table?.Routes ?? [], endpoints };
}

/** The default route leads out: a NAT gateway, an internet gateway with a public IP, or a target moto does not model beyond. */
function defaultRouteOut(net: InstanceNetwork): boolean {
  return net.routes.some((route) => {
    if (route.State === 'blackhole' || route.DestinationCidrBlock !== '0.0.0.0/0') return false;
    if (route.NatGatewayId) return true;
    if (route.GatewayId?.startsWith('igw-')) return Boolean(net.instance.PublicIpAddress);
    return !route.VpcPeeringConnectionId && !route.GatewayId?.startsWith('vpce-');
  });
}

/** An S3 gateway endpoint of the VPC has its route on the instance's route table. */
function gatewayToS3(net: InstanceNetwork, region: string): boolean {
  const gateways = new Set(
    net.endpoints
      .filter((e) => e.ServiceName === `com.amazonaws.${region}.s3` && e.VpcEndpointType === 'Gateway')
      .map((e) => e.VpcEndpointId),
  );
  return net.routes.some(
    (r) => r.State !== 'blackhole' && r.DestinationPrefixListId !== undefined && gateways.has(r.GatewayId),
  );
}

export async function reachesS3(ec2: EC2Client, region: string, instanceId: string): Promise<boolean> {
  const net = await instanceNetwork(ec2, instanceId);
  return net !== undefined && netReachesS3(net, region);
}

/**
 * Whether a Lambda function's network interface in this subnet reaches S3 (lambda-pool.ts): by the same rules, for an
 * interface that never has a public IPv4 address ("Giving Lambda functions access to the internet",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html: an internet gateway alone does not).
 */
export async function subnetReachesS3(ec2: EC2Client, region: string, subnetId: string): Promise<boolean> {
  const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0];
  const net = subnet?.VpcId ? await networkOf(ec2, { SubnetId: subnetId, VpcId: subnet.VpcId }) : undefined;
  return net !== undefined && netReachesS3(net, region);
}

function netReachesS3(net: InstanceNetwork, region: string): boolean {
  if (gatewayToS3(net, region) || defaultRouteOut(net)) return true;
  return net.endpoints.some(
    (e) =>
      e.ServiceName === `com.amazonaws.${region}.s3` &&
      e.VpcEndpointType === 'Interface' &&
      e.PrivateDnsEnabled === true &&
      e.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint !== true,
  );
}

/** Whether dnf on the instance reaches the Amazon Linux repositories: a gateway endpoint or the default route. */
export async function reachesRepos(ec2: EC2Client, region: string, instanceId: string): Promise<boolean> {
  const net = await instanceNetwork(ec2, instanceId);
  return net !== undefined && (gatewayToS3(net, region) || defaultRouteOut(net));
}

/** Whether an IPv4 address lies in a CIDR block. */
function inCidr(cidr: string, ip: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(base) / size) === Math.floor(toInt(ip) / size);
}

/** An ingress rule admits TCP 443 from one of the groups or from the instance's address. */
const admits443 = (rule: IpPermission, groups: string[], ip: string) => {
  const protocol = rule.IpProtocol === '-1' || rule.IpProtocol === 'tcp' || rule.IpProtocol === '6';
  const port = rule.IpProtocol === '-1' || ((rule.FromPort ?? 0) <= 443 && 443 <= (rule.ToPort ?? 65535));
  if (!protocol || !port) return false;
  if ((rule.UserIdGroupPairs ?? []).some((p) => p.GroupId && groups.includes(p.GroupId))) return true;
  return ip !== '' && (rule.IpRanges ?? []).some((r) => inCidr(r.CidrIp ?? '', ip));
};

/** Whether SSM Agent on the instance reaches ssm, ssmmessages and ec2messages (see the top of this file). */
export async function reachesSsm(ec2: EC2Client, region: string, instanceId: string): Promise<boolean> {
  const net = await instanceNetwork(ec2, instanceId);
  if (!net) return false;
  if (defaultRouteOut(net)) return true;
  const groups = (net.instance.SecurityGroups ?? []).map((g) => g.GroupId ?? '');
  const ip = net.instance.PrivateIpAddress ?? '';
  for (const service of ['ssm', 'ssmmessages', 'ec2messages']) {
    const candidates = net.endpoints.filter(
      (e) =>
        e.ServiceName === `com.amazonaws.${region}.${service}` &&
        e.VpcEndpointType === 'Interface' &&
        e.PrivateDnsEnabled === true &&
        e.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint !== true &&
        (e.SubnetIds ?? []).length > 0,
    );
    let reached = false;
    for (const endpoint of candidates) {
      // An interface endpoint created without groups has the VPC's default group (CreateVpcEndpoint's
      // SecurityGroupIds, botocore's ec2 service-2.json), which admits only its own members.
      const named = (endpoint.Groups ?? []).map((g) => g.GroupId ?? '');
      const filters = [
        { Name: 'vpc-id', Values: [net.instance.VpcId ?? ''] },
        { Name: 'group-name', Values: ['default'] },
      ];
      const found =
        (await ec2.send(new DescribeSecurityGroupsCommand(named.length ? { GroupIds: named } : { Filters: filters })))
          .SecurityGroups ?? [];
      if (found.some((g) => (g.IpPermissions ?? []).some((rule) => admits443(rule, groups, ip)))) {
        reached = true;
        break;
      }
    }
    if (!reached) return false;
  }
  return true;
}
