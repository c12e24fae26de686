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
/** Proves the credentials work before anything is spent, and returns the account id. */
export declare function callerAccount(clients: AwsClients): Promise<string>;
