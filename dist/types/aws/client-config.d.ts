/**
 * One place for how every AWS client is set up: the region, the credentials (from OIDC, or the SDK default chain
 * when absent), a user agent that names efsync and the run, and the SDK's own standard retries. Endpoints come only
 * from the standard AWS_ENDPOINT_URL variables, which the SDK reads itself.
 */
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
