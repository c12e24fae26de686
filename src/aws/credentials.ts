/**
 * Credentials for every AWS call of a run. With role-to-assume: the job's GitHub OIDC token exchanged through STS
 * AssumeRoleWithWebIdentity, masked the moment they exist. Without it: the SDK default chain (for example after
 * aws-actions/configure-aws-credentials, or a profile for the CLI). Nothing here is ever saved to state.
 */
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
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
  try {
    await assumeRole(clients, aws, aws.roleToAssume, reporter, idToken);
    return clients;
  } catch (error) {
    clients.destroy();
    throw error;
  }
}

async function assumeRole(
  clients: AwsClients,
  aws: AwsConfig,
  roleArn: string,
  reporter: Reporter,
  idToken: IdTokenSource | undefined,
): Promise<void> {
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
    // Before credentials exist: AssumeRoleWithWebIdentity is signed by the token, not by AWS keys.
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
    clients.useCredentials({
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration && { expiration: c.Expiration }),
    });
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw new CredentialsError(
      `Could not assume ${roleArn} with the GitHub OIDC token: ${errorMessage(error)}. Check the role's trust ` +
        `policy: it must trust token.actions.githubusercontent.com with aud ${aws.audience} and this repository in sub.`,
    );
  }
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
