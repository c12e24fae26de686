/**
 * Credentials for every AWS call of a run. With role-to-assume: the job's GitHub OIDC token exchanged through STS
 * AssumeRoleWithWebIdentity, masked the moment they exist. Without it: the SDK default chain (for example after
 * aws-actions/configure-aws-credentials, or a profile for the CLI). Nothing here is ever saved to state.
 */
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsConfig } from '../config/types.js';
import { EfsyncError, errorMessage } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { AwsClients } from './clients.js';

/** Fetches the job's OIDC token for an audience (core.getIDToken on a runner). */
export type IdTokenSource = (audience: string) => Promise<string>;

export class CredentialsError extends EfsyncError {}

/**
 * The run's clients, signing with the role assumed through OIDC when role-to-assume is set, else with the SDK
 * default chain. `idToken` is how the caller gets the job's OIDC token; without it, role-to-assume cannot be used.
 */
export async function openClients(
  aws: AwsConfig,
  reporter: Reporter,
  idToken: IdTokenSource | undefined,
): Promise<AwsClients> {
  const clients = new AwsClients({ region: aws.region, ...(aws.profile && { profile: aws.profile }) });
  if (aws.roleToAssume === undefined) return clients;
  // AssumeRoleWithWebIdentity is signed by the token, not by AWS keys: its own client, kept for the renewals.
  const sts = new AwsClients({ region: aws.region });
  try {
    const session = new WebIdentitySession(sts, aws, aws.roleToAssume, reporter, idToken);
    await session.credentials();
    clients.useCredentials(
      () => session.credentials(),
      () => session.expiration,
    );
    const destroy = clients.destroy.bind(clients);
    clients.destroy = () => {
      destroy();
      sts.destroy();
    };
    return clients;
  } catch (error) {
    sts.destroy();
    clients.destroy();
    throw error;
  }
}

/**
 * Renew this long before the credentials expire: more than the SDK's five minutes (@smithy/core EXPIRATION_MS), so
 * that a presigned URL signed just before a renewal still lives minutes. A session shorter than twice that (only a
 * test bed issues one; AWS's shortest is 900 s) is renewed at half its lifetime.
 */
const RENEW_BEFORE_MS = 10 * 60 * 1000;

/**
 * The role's session, renewed with a new OIDC token before it expires: every client calls `credentials()` when the
 * identity it holds is within five minutes of its expiration, and all of them get the one renewed session.
 */
class WebIdentitySession {
  expiration: Date | undefined;
  private current: AwsCredentialIdentity | undefined;
  private renewBeforeMs = RENEW_BEFORE_MS;
  private pending: Promise<AwsCredentialIdentity> | undefined;
  private readonly sts: AwsClients;
  private readonly aws: AwsConfig;
  private readonly roleArn: string;
  private readonly reporter: Reporter;
  private readonly idToken: IdTokenSource | undefined;

  constructor(
    sts: AwsClients,
    aws: AwsConfig,
    roleArn: string,
    reporter: Reporter,
    idToken: IdTokenSource | undefined,
  ) {
    this.sts = sts;
    this.aws = aws;
    this.roleArn = roleArn;
    this.reporter = reporter;
    this.idToken = idToken;
  }

  credentials(): Promise<AwsCredentialIdentity> {
    const current = this.current;
    if (current && (!current.expiration || current.expiration.getTime() - Date.now() > this.renewBeforeMs)) {
      return Promise.resolve(current);
    }
    this.pending ??= assumeRole(this.sts, this.aws, this.roleArn, this.reporter, this.idToken)
      .then((renewed) => {
        if (current) this.reporter.info(`Renewed the AWS credentials of ${this.roleArn}.`);
        this.current = renewed;
        this.expiration = renewed.expiration;
        const lifetime = (renewed.expiration?.getTime() ?? Number.POSITIVE_INFINITY) - Date.now();
        this.renewBeforeMs = Math.min(RENEW_BEFORE_MS, lifetime / 2);
        return renewed;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

async function assumeRole(
  clients: AwsClients,
  aws: AwsConfig,
  roleArn: string,
  reporter: Reporter,
  idToken: IdTokenSource | undefined,
): Promise<AwsCredentialIdentity> {
  if (!idToken) {
    throw new CredentialsError(
      'role-to-assume is set, but the job has no GitHub OIDC token. Grant it with `permissions: id-token: write` ' +
        '(workflow or job level), or leave role-to-assume empty and configure credentials before this step.',
    );
  }
  let token: string;
  try {
    token = await idToken(aws.audience);
  } catch (error) {
    throw new CredentialsError(
      `Could not get the GitHub OIDC token for audience ${aws.audience}: ${errorMessage(error)}`,
    );
  }
  reporter.secret(token);
  try {
    const assumed = await clients.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: aws.roleSessionName,
        WebIdentityToken: token,
        DurationSeconds: aws.roleDurationSeconds,
      }),
    );
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('STS returned no credentials');
    // Masked before anything else can print them, errors included; the session token also as it stands, URL-encoded,
    // in every presigned URL (X-Amz-Security-Token), since the runner masks a value only as written.
    for (const value of [c.AccessKeyId, c.SecretAccessKey, c.SessionToken, encodeURIComponent(c.SessionToken)])
      reporter.secret(value);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration && { expiration: c.Expiration }),
    };
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw new CredentialsError(
      `Could not assume ${roleArn} with the GitHub OIDC token: ${errorMessage(error)}. Check the role's trust ` +
        `policy: it must trust token.actions.githubusercontent.com with aud ${aws.audience} and this repository in sub.`,
    );
  }
}

/**
 * Refuses a run that credentials cannot cover and nothing can renew: keys in the environment (as
 * aws-actions/configure-aws-credentials exports them, with AWS_CREDENTIAL_EXPIRATION) stay the same when they
 * expire. The SDK's other sources (profiles with a role or SSO, instance roles) and role-to-assume renew.
 */
export async function refuseExpiringCredentials(
  clients: AwsClients,
  aws: AwsConfig,
  timeoutMinutes: number,
  env: NodeJS.ProcessEnv = process.env,
  now: number = Date.now(),
): Promise<void> {
  if (aws.roleToAssume !== undefined || aws.profile || !env.AWS_ACCESS_KEY_ID) return;
  const identity = await clients.sts.config.credentials();
  const expiration = identity.expiration;
  if (!expiration) return;
  const needed = timeoutMinutes * 60 * 1000;
  const left = expiration.getTime() - now;
  if (left >= needed) return;
  const minutesLeft = Math.max(0, Math.floor(left / 60000));
  throw new CredentialsError(
    `The AWS credentials in the environment expire at ${expiration.toISOString()}, before timeout-minutes ` +
      `(${timeoutMinutes}) can end, and nothing can renew them. Set role-to-assume so that efsync renews them ` +
      `through GitHub OIDC, give aws-actions/configure-aws-credentials a role-duration-seconds of at least ` +
      `${timeoutMinutes * 60 + 300}, or lower timeout-minutes to ${minutesLeft} or less.`,
  );
}

/** Proves the credentials work before anything is spent, and returns the account id. */
export async function callerAccount(clients: AwsClients): Promise<string> {
  try {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    return identity.Account ?? '';
  } catch (error) {
    throw new CredentialsError(
      `No usable AWS credentials (${errorMessage(error)}). Set role-to-assume for GitHub OIDC, or run ` +
        'aws-actions/configure-aws-credentials before this step.',
    );
  }
}
