/** Reading security group rules for NFS. Pure. */
import type { IpPermission } from '@aws-sdk/client-ec2';
/** Whether an ingress (or egress) rule lets TCP 2049 through from (or to) one of the groups, or from a CIDR covering the subnet. */
export declare function ruleAdmitsNfs(rule: IpPermission, groups: string[], subnetCidr: string | undefined): boolean;
/** Whether IPv4 CIDR `outer` contains all of `inner`. */
export declare function cidrContains(outer: string, inner: string): boolean;
