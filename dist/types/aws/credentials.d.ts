import type { AwsConfig } from '../config/types.js';
import type { Reporter } from '../report.js';
import { type AwsContext } from './client-config.js';
/** Fetches the job's OIDC token for an audience (core.getIDToken on a runner). */
export type IdTokenSource = (audience: string) => Promise<string>;
export declare class CredentialsError extends Error {
    name: string;
}
export declare function resolveCredentials(aws: AwsConfig, reporter: Reporter, idToken: IdTokenSource | undefined): Promise<AwsContext>;
/** Proves the credentials work before anything is spent, and returns the account id. */
export declare function callerAccount(context: AwsContext): Promise<string>;
export declare function messageOf(error: unknown): string;
