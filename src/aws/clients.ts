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
import { tagErrors } from './errors.js';

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

type Config = ReturnType<typeof clientConfig>;
interface Destroyable {
  destroy(): void;
}

// Each client with the service prefix of its IAM actions, which error messages name.
const SERVICES = {
  ec2: { make: (c: Config) => new EC2Client(c), iam: 'ec2' },
  efs: { make: (c: Config) => new EFSClient(c), iam: 'elasticfilesystem' },
  iam: { make: (c: Config) => new IAMClient(c), iam: 'iam' },
  lambda: { make: (c: Config) => new LambdaClient(c), iam: 'lambda' },
  s3: { make: (c: Config) => new S3Client(c), iam: 's3' },
  ssm: { make: (c: Config) => new SSMClient(c), iam: 'ssm' },
  sts: { make: (c: Config) => new STSClient(c), iam: 'sts' },
} as const;
type Service = keyof typeof SERVICES;
type ClientOf<S extends Service> = ReturnType<(typeof SERVICES)[S]['make']>;

/** One client per service, made on first use: `clients.s3`, `clients.ec2`, … */
type ServiceClients = { readonly [S in Service]: ClientOf<S> };

export interface AwsClients extends ServiceClients {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the static block defines one getter per service.
export class AwsClients {
  private context: AwsContext;
  private readonly made = new Map<Service, Destroyable>();

  constructor(context: AwsContext) {
    this.context = context;
  }

  get region(): string {
    return this.context.region;
  }

  /** When the credentials in use expire, if they were issued for this run (a renewing provider: the current ones). */
  get expiration(): Date | undefined {
    const credentials = this.context.credentials;
    if (typeof credentials === 'function') return this.renewedExpiration?.();
    return credentials?.expiration;
  }

  private renewedExpiration: (() => Date | undefined) | undefined;

  /**
   * From now on every client signs with these credentials (the ones made before are closed). A provider renews
   * them; `expiration` then tells when the ones it gave last expire.
   */
  useCredentials(
    credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
    expiration?: () => Date | undefined,
  ): void {
    this.destroy();
    this.context = { ...this.context, credentials };
    this.renewedExpiration = expiration;
  }

  /** Closes every client made so far; a later use makes a new one. Idempotent. */
  destroy(): void {
    for (const client of this.made.values()) client.destroy();
    this.made.clear();
  }

  private client<S extends Service>(service: S): ClientOf<S> {
    let client = this.made.get(service);
    if (!client) {
      const { make, iam } = SERVICES[service];
      client = tagErrors(make(clientConfig(this.context)), iam);
      this.made.set(service, client);
    }
    return client as ClientOf<S>;
  }

  static {
    for (const service of Object.keys(SERVICES) as Service[]) {
      Object.defineProperty(AwsClients.prototype, service, {
        get(this: AwsClients) {
          return this.client(service);
        },
      });
    }
  }
}
