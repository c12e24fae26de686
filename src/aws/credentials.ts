/**
 * Credentials for every AWS call of a run. With role-to-assume: the job's GitHub OIDC token exchanged through STS
 * AssumeRoleWithWebIdentity, masked the moment they exist. Without it: the SDK default chain (for example after
 * aws-actions/configure-aws-credentials, or a profile for the CLI). Nothing here is ever saved to state.
 */
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsConfig } from '../config/types.js';
import type { Reporter } from '../report.js';
import { type AwsContext, clientConfig } from './client-config.js';
import { tagErrors } from './errors.js';

/** Fetches the job's OIDC token for an audience (core.getIDToken on a runner). */
export type IdTokenSource = (audience: string) => Promise<string>;

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

export async function resolveCredentials(
  aws: AwsConfig,
  reporter: Reporter,
  idToken: IdTokenSource | undefined,
): Promise<AwsContext> {
  if (aws.roleToAssume === undefined) return { region: aws.region, ...(aws.profile && { profile: aws.profile }) };
  if (!idToken || !process.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    throw new CredentialsError(
      'role-to-assume is set, but the job has no GitHub OIDC token. Grant it with `permissions: id-token: write` ' +
        '(workflow or job level), or leave role-to-assume empty and configure credentials before this step.',
    );
  }
  let token: string;
  try {
    token = await idToken(aws.audience);
  } catch (error) {
    throw new CredentialsError(`Could not get the GitHub OIDC token for audience ${aws.audience}: ${messageOf(error)}`);
  }
  reporter.secret(token);
  const sts = tagErrors(new STSClient(clientConfig({ region: aws.region })), 'sts');
  try {
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: aws.roleToAssume,
        RoleSessionName: aws.roleSessionName,
        WebIdentityToken: token,
        DurationSeconds: aws.roleDurationSeconds,
      }),
    );
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('STS returned no credentials');
    // Masked before anything else can print them, errors included.
    for (const value of [c.AccessKeyId, c.SecretAccessKey, c.SessionToken]) reporter.secret(value);
    return {
      region: aws.region,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        ...(c.Expiration && { expiration: c.Expiration }),
      },
    };
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw new CredentialsError(
      `Could not assume ${aws.roleToAssume} with the GitHub OIDC token: ${messageOf(error)}. Check the role's trust ` +
        `policy: it must trust token.actions.githubusercontent.com with aud ${aws.audience} and this repository in sub.`,
    );
  } finally {
    sts.destroy();
  }
}

/** Proves the credentials work before anything is spent, and returns the account id. */
export async function callerAccount(context: AwsContext): Promise<string> {
  const sts = tagErrors(new STSClient(clientConfig(context)), 'sts');
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return identity.Account ?? '';
  } catch (error) {
    throw new CredentialsError(
      `No usable AWS credentials (${messageOf(error)}). Set role-to-assume for GitHub OIDC, or run ` +
        'aws-actions/configure-aws-credentials before this step.',
    );
  } finally {
    sts.destroy();
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
