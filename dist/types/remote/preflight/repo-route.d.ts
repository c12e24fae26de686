/**
 * Whether the instance reaches Amazon Linux 2023's package repositories, checked before launching when the mount needs
 * the EFS mount helper (efs-mount.ts, needsMountHelper), which the agent installs with dnf.
 *
 * AL2023's repositories are S3 buckets, and dnf reaches them by S3's dualstack names
 * (al2023-repos-<region>-….s3.dualstack.<region>.amazonaws.com, as dnf's errors name them in
 * amazonlinux/amazon-linux-2023 issue #1084): issue #535, "yum/dnf update always resolving to s3.dualstack.amazonaws
 * url", is an instance whose VPC has an S3 interface endpoint with private DNS and whose dnf still goes to public
 * addresses. S3 interface endpoints do not serve dualstack names
 * ("Using dual-stack endpoints", S3 User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints.html),
 * so their private DNS does not cover them, and AWS documents no other way an interface endpoint would serve the
 * repositories: it does not count here (the strict side). What counts: an S3 gateway endpoint on the subnet's route
 * table (its route carries any S3 name of the region to S3, "Gateway endpoints", AWS PrivateLink Guide,
 * https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html), or a default route to a NAT gateway
 * (or an internet gateway with a public IPv4 address); a default route efsync cannot see beyond is accepted with a
 * log line. That is decideS3Route without the interface endpoints.
 */
import type { AwsClients } from '../../aws/clients.js';
import { type S3RouteDecision, type S3RouteFacts } from './s3-route.js';
export declare function decideRepoRoute(facts: S3RouteFacts): S3RouteDecision;
/** Throws a PreflightError with the fix when the mount needs the helper and the repositories are out of reach. */
export declare function checkRepoRoute(clients: AwsClients, network: S3RouteFacts, why: string, log: (line: string) => void): void;
