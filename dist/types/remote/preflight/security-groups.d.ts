/** Reading security group rules for NFS (and HTTPS to interface endpoints). Pure. */
import type { IpPermission } from '@aws-sdk/client-ec2';
/** Whether an ingress (or egress) rule lets TCP 2049 through from (or to) one of the groups, or from a CIDR covering the subnet. */
export declare function ruleAdmitsNfs(rule: IpPermission, groups: string[], subnetCidr: string | undefined): boolean;
/** Whether an ingress (or egress) rule lets TCP `port` through from (or to) one of the groups, or from a CIDR covering the subnet. */
export declare function ruleAdmitsTcp(rule: IpPermission, port: number, groups: string[], subnetCidr: string | undefined): boolean;
/** Whether IPv4 CIDR `outer` contains all of `inner`. */
export declare function cidrContains(outer: string, inner: string): boolean;
