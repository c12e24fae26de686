// Stands in for GitHub's OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL), and checks the tokens it issued when
// they come back in STS AssumeRoleWithWebIdentity, as IAM's OIDC provider would.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const ISSUER = 'https://token.actions.githubusercontent.com';
export const REPOSITORY = 'efsync-test/efsync-action';
export const SUBJECT = `repo:${REPOSITORY}:ref:refs/heads/main`;
/** The repository of the bed's second stack (seed.ts). */
export const SECOND_REPOSITORY = 'efsync-test/other-service';

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class OidcIssuer {
  /** The bearer token the runner would hand the step in ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken = randomBytes(24).toString('hex');
  /**
   * The request token of each repository's jobs: on GitHub, ACTIONS_ID_TOKEN_REQUEST_TOKEN belongs to one job, so it
   * decides which repository the token's claims name.
   */
  private readonly repositories = new Map<string, string>([[this.requestToken, REPOSITORY]]);
  private readonly key = randomBytes(32);
  /** Audiences the IAM OIDC provider lists as client ids. */
  readonly audiences = new Set(['sts.amazonaws.com']);

  /** The request token a job of this repository is given. */
  requestTokenFor(repository: string): string {
    for (const [token, repo] of this.repositories) if (repo === repository) return token;
    const token = randomBytes(24).toString('hex');
    this.repositories.set(token, repository);
    return token;
  }

  /** Answers GET <oidcUrl>&audience=…; returns the HTTP status and JSON body. */
  issue(authorization: string | undefined, url: URL): { status: number; body: unknown } {
    const given = Buffer.from(authorization ?? '');
    const repository = [...this.repositories].find(([token]) => {
      const expected = Buffer.from(`Bearer ${token}`);
      return given.length === expected.length && timingSafeEqual(given, expected);
    })?.[1];
    if (!repository) return { status: 401, body: { message: 'Bad credentials' } };
    const subject = `repo:${repository}:ref:refs/heads/main`;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: randomBytes(8).toString('hex'),
      sub: subject,
      aud: url.searchParams.get('audience') || `https://github.com/${repository.split('/')[0]}`,
      ref: 'refs/heads/main',
      sha: '0'.repeat(40),
      repository: repository,
      repository_owner: repository.split('/')[0],
      run_id: '1',
      run_attempt: '1',
      actor: 'efsync-test',
      workflow: 'publish',
      event_name: 'push',
      ref_type: 'branch',
      job_workflow_ref: `${repository}/.github/workflows/publish.yml@refs/heads/main`,
      iss: ISSUER,
      nbf: now - 5,
      iat: now,
      exp: now + 300,
    };
    const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'testbed' }));
    const body = b64(JSON.stringify(claims));
    const signature = b64(createHmac('sha256', this.key).update(`${head}.${body}`).digest());
    return { status: 200, body: { count: 1, value: `${head}.${body}.${signature}` } };
  }

  /** The claims of a token this issuer signed (call after `refusal` said it is good). */
  claims(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  /** Why STS would refuse this web identity token, or undefined when it is good. */
  refusal(token: string): { code: string; message: string } | undefined {
    const [head, body, signature] = token.split('.');
    if (!head || !body || !signature)
      return { code: 'InvalidIdentityToken', message: 'The web identity token is not a JWT.' };
    const expected = b64(createHmac('sha256', this.key).update(`${head}.${body}`).digest());
    if (signature !== expected) {
      return {
        code: 'InvalidIdentityToken',
        message: 'Incorrect token audience or signature: not issued by the test bed.',
      };
    }
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      aud: string;
      exp: number;
      iss: string;
    };
    if (claims.exp * 1000 < Date.now()) return { code: 'ExpiredTokenException', message: 'Token is expired.' };
    if (!this.audiences.has(claims.aud)) {
      return {
        code: 'InvalidIdentityToken',
        message: `Incorrect token audience: ${claims.aud} is not a client id of the OIDC provider.`,
      };
    }
    return undefined;
  }
}
