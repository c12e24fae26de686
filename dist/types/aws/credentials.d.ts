import type { AwsConfig } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { AwsClients } from './clients.js';
/** Fetches the job's OIDC token for an audience (core.getIDToken on a runner). */
export type IdTokenSource = (audience: string) => Promise<string>;
export declare class CredentialsError extends EfsyncError {
}
/**
 * The run's clients, signing with the role assumed through OIDC when role-to-assume is set, else with the SDK
 * default chain. `idToken` is how the caller gets the job's OIDC token; without it, role-to-assume cannot be used.
 */
export declare function openClients(aws: AwsConfig, reporter: Reporter, idToken: IdTokenSource | undefined): Promise<AwsClients>;
/**
 * Refuses a run that credentials cannot cover and nothing can renew: keys in the environment (as
 * aws-actions/configure-aws-credentials exports them, with AWS_CREDENTIAL_EXPIRATION) stay the same when they
 * expire. The SDK's other sources (profiles with a role or SSO, instance roles) and role-to-assume renew.
 */
export declare function refuseExpiringCredentials(clients: AwsClients, aws: AwsConfig, timeoutMinutes: number, env?: NodeJS.ProcessEnv, now?: number): Promise<void>;
/** Proves the credentials work before anything is spent, and returns the account id. */
export declare function callerAccount(clients: AwsClients): Promise<string>;
