/**
 * The run's one set of AWS clients, configured in one place: the region, the credentials (from OIDC, or the SDK
 * default chain when absent), a user agent that names efsync and the run, the SDK's standard retries, and error
 * tagging (errors name the IAM action). Each client is created on first use and kept for the whole run, so a run
 * reuses its connections; `destroy()` closes them once, at the end of the run's teardown. Endpoints come only from
 * the standard AWS_ENDPOINT_URL variables, which the SDK reads itself.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
export interface AwsContext {
    region: string;
    /** Absent: the SDK default chain (environment, profile, SSO, instance role). */
    credentials?: AwsCredentialIdentity;
    /** Attempts per call, the first included (SDK standard retry mode, with backoff and jitter). */
    maxAttempts?: number;
    /** A named profile of the shared AWS config (efsync.yaml's aws_profile, for the CLI and the API). */
    profile?: string;
}
export declare function clientConfig(context: AwsContext): {
    retryMode: "standard";
    maxAttempts: number;
    customUserAgent: [string, string][];
    profile?: string;
    credentials?: AwsCredentialIdentity;
    region: string;
};
export declare class AwsClients {
    private context;
    private readonly made;
    constructor(context: AwsContext);
    get region(): string;
    /** When the credentials in use expire, if they were issued for this run. */
    get expiration(): Date | undefined;
    get ec2(): EC2Client;
    get efs(): EFSClient;
    get iam(): IAMClient;
    get s3(): S3Client;
    get ssm(): SSMClient;
    get sts(): STSClient;
    /** From now on every client signs with these credentials (the ones made before are closed). */
    useCredentials(credentials: AwsCredentialIdentity): void;
    /** Closes every client made so far; a later use makes a new one. Idempotent. */
    destroy(): void;
    private client;
}
