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
type Config = ReturnType<typeof clientConfig>;
declare const SERVICES: {
    readonly ec2: {
        readonly make: (c: Config) => EC2Client;
        readonly iam: "ec2";
    };
    readonly efs: {
        readonly make: (c: Config) => EFSClient;
        readonly iam: "elasticfilesystem";
    };
    readonly iam: {
        readonly make: (c: Config) => IAMClient;
        readonly iam: "iam";
    };
    readonly s3: {
        readonly make: (c: Config) => S3Client;
        readonly iam: "s3";
    };
    readonly ssm: {
        readonly make: (c: Config) => SSMClient;
        readonly iam: "ssm";
    };
    readonly sts: {
        readonly make: (c: Config) => STSClient;
        readonly iam: "sts";
    };
};
type Service = keyof typeof SERVICES;
type ClientOf<S extends Service> = ReturnType<(typeof SERVICES)[S]['make']>;
/** One client per service, made on first use: `clients.s3`, `clients.ec2`, … */
type ServiceClients = {
    readonly [S in Service]: ClientOf<S>;
};
export interface AwsClients extends ServiceClients {
}
export declare class AwsClients {
    private context;
    private readonly made;
    constructor(context: AwsContext);
    get region(): string;
    /** When the credentials in use expire, if they were issued for this run. */
    get expiration(): Date | undefined;
    /** From now on every client signs with these credentials (the ones made before are closed). */
    useCredentials(credentials: AwsCredentialIdentity): void;
    /** Closes every client made so far; a later use makes a new one. Idempotent. */
    destroy(): void;
    private client;
}
export {};
