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
import {
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

export async function reachesS3(ec2: EC2Client, region: string, instanceId: string): Promise<boolean> {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
    ?.Instances?.[0];
  const subnetId = instance?.SubnetId;
  const vpcId = instance?.VpcId;
  if (!subnetId || !vpcId) return false;
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
  ).filter((e) => e.ServiceName === `com.amazonaws.${region}.s3` && e.State?.toLowerCase() === 'available');
  const gateways = new Set(endpoints.filter((e) => e.VpcEndpointType === 'Gateway').map((e) => e.VpcEndpointId));
  for (const route of table?.Routes ?? []) {
    if (route.State === 'blackhole') continue;
    if (route.DestinationPrefixListId && gateways.has(route.GatewayId)) return true;
    if (route.DestinationCidrBlock !== '0.0.0.0/0') continue;
    if (route.NatGatewayId) return true;
    if (route.GatewayId?.startsWith('igw-')) {
      if (instance.PublicIpAddress) return true;
    } else if (!route.VpcPeeringConnectionId) {
      return true;
    }
  }
  return endpoints.some(
    (e) =>
      e.VpcEndpointType === 'Interface' &&
      e.PrivateDnsEnabled === true &&
      e.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint !== true,
  );
}
