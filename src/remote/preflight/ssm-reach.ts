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
import { DescribeSecurityGroupsCommand, type SecurityGroup, type VpcEndpoint } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
import { PreflightError } from '../../core/errors.js';
import { type S3RouteFacts, targetOf } from './s3-route.js';
import { ruleAdmitsTcp } from './security-groups.js';

export const SSM_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'] as const;
const HTTPS = 443;
const DEFAULT_ROUTE = '0.0.0.0/0';
const lower = (text: string | undefined) => (text ?? '').toLowerCase();
const GONE = new Set(['deleting', 'deleted', 'failed', 'rejected', 'expired']);

export interface SsmReachFacts extends S3RouteFacts {
  subnetCidr: string | undefined;
  /** The groups the instance launches with. */
  instanceGroups: string[];
  /** The endpoints' security groups, by id. */
  groups: Map<string, SecurityGroup>;
}

export type InternetRoute =
  | { kind: 'nat' | 'internet-gateway' | 'opaque'; via: string }
  | { kind: 'none'; why: string };

/** Where the subnet's default route leads, if anywhere an instance without a public address can use. */
export function internetRoute(facts: S3RouteFacts): InternetRoute {
  const table = facts.table;
  const tableName = table ? `${table.main ? "the VPC's main route table" : 'its route table'} ${table.id}` : '';
  if (!table) return { kind: 'none', why: 'No route table was found for it.' };
  const route = table.routes.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
  if (!route) return { kind: 'none', why: `${capital(tableName)} has no default route (${DEFAULT_ROUTE}).` };
  const target = targetOf(route);
  const via = `${target} (${DEFAULT_ROUTE} in route table ${table.id})`;
  if (route.State === 'blackhole')
    return { kind: 'none', why: `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}, which no longer exists.` };
  if (route.NatGatewayId) return { kind: 'nat', via };
  if (route.GatewayId?.startsWith('igw-')) {
    if (facts.mapPublicIpOnLaunch)
      return { kind: 'internet-gateway', via: `${via}, with the public IPv4 address the subnet gives` };
    return {
      kind: 'none',
      why: `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}, but the subnet gives instances no public IPv4 address.`,
    };
  }
  if (route.VpcPeeringConnectionId)
    return { kind: 'none', why: `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}, a peering connection.` };
  if (route.GatewayId?.startsWith('vpce-'))
    return { kind: 'none', why: `${capital(tableName)} sends ${DEFAULT_ROUTE} to ${target}.` };
  return { kind: 'opaque', via };
}

export type SsmReachDecision =
  | { reachable: true; via: string; unchecked?: true }
  | { reachable: false; missing: string[]; why: string[]; commands: string[] };

export function ssmServiceName(region: string, service: string): string {
  return `com.amazonaws.${region}.${service}`;
}

export function decideSsmReach(facts: SsmReachFacts): SsmReachDecision {
  const out = internetRoute(facts);
  if (out.kind !== 'none')
    return out.kind === 'opaque'
      ? { reachable: true, via: out.via, unchecked: true }
      : { reachable: true, via: out.via };

  const why: string[] = [out.why];
  const missing: string[] = [];
  const commands: string[] = [];
  const source = facts.instanceGroups[0] ?? 'sg-INSTANCE';
  const toCreate: string[] = [];
  const vias: string[] = [];
  for (const service of SSM_SERVICES) {
    const name = ssmServiceName(facts.region, service);
    // An endpoint deleted (or one that failed or was rejected) stays in DescribeVpcEndpoints for a while
    // (VpcEndpoint.State, botocore's ec2 service-2.json): it is gone, and a new one is what fixes it.
    const candidates = facts.endpoints.filter(
      (e) => e.ServiceName === name && lower(e.VpcEndpointType) === 'interface' && !GONE.has(lower(e.State)),
    );
    const judged = candidates.map((e) => ({ endpoint: e, problem: endpointProblem(e, facts) }));
    const usable = judged.find((j) => j.problem === undefined);
    if (usable) {
      vias.push(`${service} ${usable.endpoint.VpcEndpointId}`);
      continue;
    }
    missing.push(name);
    if (judged.length === 0) {
      why.push(`The VPC has no interface endpoint for ${name}.`);
      toCreate.push(name);
      continue;
    }
    for (const { endpoint, problem } of judged) {
      why.push(`The ${service} endpoint ${endpoint.VpcEndpointId} ${problem?.text}.`);
      if (problem?.fix) commands.push(problem.fix);
    }
  }
  if (missing.length === 0) return { reachable: true, via: `the interface endpoints ${vias.join(', ')} (private DNS)` };
  for (const name of toCreate) {
    commands.push(
      `aws ec2 create-vpc-endpoint --vpc-id ${facts.vpcId} --vpc-endpoint-type Interface --service-name ${name} ` +
        `--subnet-ids ${facts.subnetId} --security-group-ids ${source} --private-dns-enabled`,
    );
  }
  if (toCreate.length > 0) {
    const group = facts.groups.get(source);
    const admits = (group?.IpPermissions ?? []).some((rule) =>
      ruleAdmitsTcp(rule, HTTPS, facts.instanceGroups, facts.subnetCidr),
    );
    if (!admits) {
      commands.push(
        `aws ec2 authorize-security-group-ingress --group-id ${source} --protocol tcp --port ${HTTPS} --source-group ${source}`,
      );
    }
  }
  return { reachable: false, missing, why, commands: [...new Set(commands)] };
}

function endpointProblem(endpoint: VpcEndpoint, facts: SsmReachFacts): { text: string; fix?: string } | undefined {
  const id = endpoint.VpcEndpointId ?? '';
  const state = lower(endpoint.State);
  if (state !== 'available') return { text: `is ${state || 'in an unknown state'}, not available` };
  if (!endpoint.PrivateDnsEnabled)
    return {
      text: "has private DNS off, so the service's regional name resolves to public addresses",
      fix: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --private-dns-enabled`,
    };
  if (endpoint.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint === true)
    return { text: 'has private DNS only for inbound resolvers' };
  if ((endpoint.SubnetIds ?? []).length === 0)
    return {
      text: 'has no network interface in any subnet',
      fix: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --add-subnet-ids ${facts.subnetId}`,
    };
  const groupIds = (endpoint.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean);
  if (groupIds.length === 0) return undefined;
  const admits = groupIds.some((g) =>
    (facts.groups.get(g)?.IpPermissions ?? []).some((rule) =>
      ruleAdmitsTcp(rule, HTTPS, facts.instanceGroups, facts.subnetCidr),
    ),
  );
  if (admits) return undefined;
  const source = facts.instanceGroups[0] ?? 'sg-INSTANCE';
  return {
    text: `has the security group ${groupIds.join(', ')}, which does not admit HTTPS (TCP ${HTTPS}) from the instance's group ${facts.instanceGroups.join(', ')}`,
    fix: `aws ec2 authorize-security-group-ingress --group-id ${groupIds[0]} --protocol tcp --port ${HTTPS} --source-group ${source}`,
  };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Reads the groups the SSM endpoints (and the instance) use, decides, logs how SSM is reached or throws with the fix. */
export async function checkSsmReach(
  clients: AwsClients,
  network: S3RouteFacts & { subnetCidr: string | undefined },
  instanceGroups: string[],
  log: (line: string) => void,
): Promise<void> {
  const names = new Set<string>(SSM_SERVICES.map((s) => ssmServiceName(clients.region, s)));
  const endpointGroups = network.endpoints
    .filter((e) => names.has(e.ServiceName ?? ''))
    .flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId ?? ''));
  const ids = [...new Set([...endpointGroups, ...instanceGroups].filter(Boolean))];
  const found = ids.length
    ? ((await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids }))).SecurityGroups ?? [])
    : [];
  const groups = new Map(found.map((g): [string, SecurityGroup] => [g.GroupId ?? '', g]));
  const decision = decideSsmReach({ ...network, instanceGroups, groups });
  const { subnetId } = network;
  if (decision.reachable) {
    log(
      decision.unchecked
        ? `${subnetId} reaches SSM, if at all, through ${decision.via}, which efsync cannot see beyond: if it does not, ` +
            'the instance never comes Online'
        : `SSM is reached from ${subnetId} through ${decision.via}`,
    );
    return;
  }
  throw new PreflightError(
    `Subnet ${subnetId} does not reach SSM: missing ${decision.missing.join(', ')}. ${decision.why.join(' ')} ` +
      'SSM Agent needs them to receive Run Command, so the instance would launch and never come Online. ' +
      `Create them (interface endpoints with private DNS, HTTPS from the instance's group): ${decision.commands.join(' ; ')} ` +
      `(or route ${DEFAULT_ROUTE} to a NAT gateway).`,
  );
}
