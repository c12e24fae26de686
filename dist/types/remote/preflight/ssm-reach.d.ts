/**
 * Whether an instance launched into a subnet can reach what SSM Agent needs for Run Command, checked before launching:
 * without it the instance never comes Online and the run waits for nothing. `decideSsmReach` is the pure decision
 * over what DescribeSubnets, DescribeRouteTables, DescribeVpcEndpoints and DescribeSecurityGroups answer;
 * `checkSsmReach` asks them.
 *
 * What the agent reaches, from "Improve the security of EC2 instances by using VPC endpoints for Systems Manager"
 * (SSM User Guide, https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html): the endpoints
 * com.amazonaws.<region>.ssm, .ssmmessages and .ec2messages, over HTTPS (443), "SSM Agent initiates all connections".
 * Agents from 3.3.40.0 on use ssmmessages (the Message Gateway Service) instead of ec2messages whenever it is
 * available (same page, and "Reference: ec2messages, ssmmessages, and other API operations",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html); the
 * page still lists all three, and an older agent (or one that cannot open the control channel) falls back to
 * ec2messages. So efsync asks for all three: the strict side of what AWS documents.
 *
 * What counts, per service:
 * - An available interface endpoint in the subnet's VPC with private DNS on (for all resolvers), so that the
 *   service's regional name the agent uses resolves to it ("DNS hostnames", AWS PrivateLink Guide,
 *   https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html), with a network interface
 *   in at least one subnet. Any subnet of the VPC reaches those interfaces through the route table's local route
 *   ("Configure route tables", VPC User Guide, https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html:
 *   the local route is "used for communication within the VPC"), so the endpoint's zone does not matter.
 * - Its security groups must admit TCP 443 from the instance's groups or its subnet ("the security group associated
 *   with the endpoint network interface ... must allow traffic on port 443 from the private subnet", setup-create-vpc
 *   page above). An endpoint that reports no group is not judged here.
 * Or, for all three at once, a default route (0.0.0.0/0) to a NAT gateway, or to an internet gateway when the subnet
 * gives instances a public IPv4 address; a default route to a target efsync cannot see beyond (a transit gateway, a
 * firewall) is accepted with a log line, as for S3 (s3-route.ts).
 * Not checked: network ACLs, and the instance groups' egress (the template's group lets 443 out).
 */
import { type SecurityGroup } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
import { type S3RouteFacts } from './s3-route.js';
export declare const SSM_SERVICES: readonly ["ssm", "ssmmessages", "ec2messages"];
export interface SsmReachFacts extends S3RouteFacts {
    subnetCidr: string | undefined;
    /** The groups the instance launches with. */
    instanceGroups: string[];
    /** The endpoints' security groups, by id. */
    groups: Map<string, SecurityGroup>;
}
export type InternetRoute = {
    kind: 'nat' | 'internet-gateway' | 'opaque';
    via: string;
} | {
    kind: 'none';
    why: string;
};
/** Where the subnet's default route leads, if anywhere an instance without a public address can use. */
export declare function internetRoute(facts: S3RouteFacts): InternetRoute;
export type SsmReachDecision = {
    reachable: true;
    via: string;
    unchecked?: true;
} | {
    reachable: false;
    missing: string[];
    why: string[];
    commands: string[];
};
export declare function ssmServiceName(region: string, service: string): string;
export declare function decideSsmReach(facts: SsmReachFacts): SsmReachDecision;
/** Reads the groups the SSM endpoints (and the instance) use, decides, logs how SSM is reached or throws with the fix. */
export declare function checkSsmReach(clients: AwsClients, network: S3RouteFacts & {
    subnetCidr: string | undefined;
}, instanceGroups: string[], log: (line: string) => void): Promise<void>;
