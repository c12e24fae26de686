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
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
export interface AwsContext {
    region: string;
    /**
     * Absent: the SDK default chain (environment, profile, SSO, instance role). A provider is called again by the SDK
     * when the identity it gave is within five minutes of its expiration (@smithy/core memoizeIdentityProvider).
     */
    credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
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
    credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
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
    readonly lambda: {
        readonly make: (c: Config) => LambdaClient;
        readonly iam: "lambda";
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
    /** When the credentials in use expire, if they were issued for this run (a renewing provider: the current ones). */
    get expiration(): Date | undefined;
    private renewedExpiration;
    /**
     * From now on every client signs with these credentials (the ones made before are closed). A provider renews
     * them; `expiration` then tells when the ones it gave last expire.
     */
    useCredentials(credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider, expiration?: () => Date | undefined): void;
    /** Closes every client made so far; a later use makes a new one. Idempotent. */
    destroy(): void;
    private client;
}
export {};
