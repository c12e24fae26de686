/** Reading security group rules for NFS (and HTTPS to interface endpoints). Pure. */
import type { IpPermission } from '@aws-sdk/client-ec2';

const NFS_PORT = 2049;

/** Whether an ingress (or egress) rule lets TCP 2049 through from (or to) one of the groups, or from a CIDR covering the subnet. */
export function ruleAdmitsNfs(rule: IpPermission, groups: string[], subnetCidr: string | undefined): boolean {
  return ruleAdmitsTcp(rule, NFS_PORT, groups, subnetCidr);
}

/** Whether an ingress (or egress) rule lets TCP `port` through from (or to) one of the groups, or from a CIDR covering the subnet. */
export function ruleAdmitsTcp(
  rule: IpPermission,
  port: number,
  groups: string[],
  subnetCidr: string | undefined,
): boolean {
  const protocolOk = rule.IpProtocol === '-1' || rule.IpProtocol === 'tcp' || rule.IpProtocol === '6';
  const portOk = rule.IpProtocol === '-1' || ((rule.FromPort ?? 0) <= port && port <= (rule.ToPort ?? 65535));
  if (!protocolOk || !portOk) return false;
  if ((rule.UserIdGroupPairs ?? []).some((pair) => pair.GroupId && groups.includes(pair.GroupId))) return true;
  return (
    subnetCidr !== undefined && (rule.IpRanges ?? []).some((range) => cidrContains(range.CidrIp ?? '', subnetCidr))
  );
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Whether IPv4 CIDR `outer` contains all of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [outerIp, outerBits] = outer.split('/');
  const [innerIp, innerBits] = inner.split('/');
  if (!outerIp || !innerIp) return false;
  const o = Number(outerBits ?? 32);
  const i = Number(innerBits ?? 32);
  if (o > i) return false;
  if (o === 0) return true;
  const mask = o === 32 ? 0xffffffff : (0xffffffff << (32 - o)) >>> 0;
  return (toInt(outerIp) & mask) >>> 0 === (toInt(innerIp) & mask) >>> 0;
}
