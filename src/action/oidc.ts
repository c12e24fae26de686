/** The job's GitHub OIDC token, when the workflow grants one (`permissions: id-token: write`). */
import * as core from '@actions/core';
import type { IdTokenSource } from '../aws/credentials.js';

/** Undefined when the job has no token to give, so that role-to-assume fails with the fix instead. */
export function oidcTokenSource(env: NodeJS.ProcessEnv = process.env): IdTokenSource | undefined {
  return env.ACTIONS_ID_TOKEN_REQUEST_URL ? (audience) => core.getIDToken(audience) : undefined;
}
