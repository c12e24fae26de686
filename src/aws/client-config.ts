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

const SAFE = /^[\w.-]{1,64}$/;

function userAgent(): [string, string][] {
  const agent: [string, string][] = [['efsync-action', '1']];
  const runId = process.env.GITHUB_RUN_ID;
  // Only validated values go into a header.
  if (runId && SAFE.test(runId)) agent.push(['run', runId]);
  return agent;
}

export function clientConfig(context: AwsContext) {
  return {
    region: context.region,
    ...(context.credentials && { credentials: context.credentials }),
    ...(context.profile && !context.credentials && { profile: context.profile }),
    retryMode: 'standard' as const,
    maxAttempts: context.maxAttempts ?? 5,
    customUserAgent: userAgent(),
  };
}
