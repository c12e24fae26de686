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
import { type Route, type VpcEndpoint } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
export interface S3RouteFacts {
    region: string;
    subnetId: string;
    vpcId: string;
    /** Whether instances launched into the subnet get a public IPv4 address. */
    mapPublicIpOnLaunch: boolean;
    /** The subnet's route table; `main` when the subnet uses the VPC's main route table implicitly. */
    table: {
        id: string;
        main: boolean;
        routes: Route[];
    } | undefined;
    /** The VPC's endpoints (any service). */
    endpoints: VpcEndpoint[];
}
export type S3RouteDecision = 
/** `unchecked`: the route leads somewhere efsync cannot see beyond (a transit gateway, say). */
{
    reachable: true;
    via: string;
    unchecked?: true;
} | {
    reachable: false;
    why: string[];
    fix: string;
};
/**
 * The S3 endpoint service's names: com.amazonaws.<region>.s3 in every partition for a gateway endpoint; in the China
 * regions an interface endpoint's is cn.com.amazonaws.<region>.s3 (the exceptions of InterfaceVpcEndpointAwsService
 * and GatewayVpcEndpointAwsService in aws-cdk-lib's aws-ec2/lib/vpc-endpoint.ts).
 */
export declare function s3ServiceName(region: string): string;
/** What a route leads to, in words, with its id. */
export declare function targetOf(route: Route): string;
export declare function decideS3Route(facts: S3RouteFacts): S3RouteDecision;
/** What the network checks read of a subnet: its VPC, CIDR, route table and the VPC's endpoints. */
export declare function readSubnetNetwork(clients: AwsClients, subnetId: string): Promise<S3RouteFacts & {
    subnetCidr: string | undefined;
}>;
/**
 * Reads the subnet, its route table and the VPC's endpoints; throws a PreflightError with the fix when S3 is out of
 * reach. Returns what it read, for the checks of SSM and of the package repositories (ssm-reach.ts, repo-route.ts).
 */
export declare function checkS3Route(clients: AwsClients, subnetId: string, log: (line: string) => void): Promise<S3RouteFacts & {
    subnetCidr: string | undefined;
}>;
