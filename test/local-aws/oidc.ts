// Stands in for GitHub's OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL), and checks the tokens it issued when
// they come back in STS AssumeRoleWithWebIdentity, as IAM's OIDC provider would.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const ISSUER = 'https://token.actions.githubusercontent.com';
export const REPOSITORY = 'efsync-test/efsync-action';
export const SUBJECT = `repo:${REPOSITORY}:ref:refs/heads/main`;

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class OidcIssuer {
  /** The bearer token the runner would hand the step in ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken = randomBytes(24).toString('hex');
  private readonly key = randomBytes(32);
  /** Audiences the IAM OIDC provider lists as client ids. */
  readonly audiences = new Set(['sts.amazonaws.com']);

  /** Answers GET <oidcUrl>&audience=…; returns the HTTP status and JSON body. */
  issue(authorization: string | undefined, url: URL): { status: number; body: unknown } {
    const expected = Buffer.from(`Bearer ${this.requestToken}`);
    const given = Buffer.from(authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: randomBytes(8).toString('hex'),
      sub: SUBJECT,
      aud: url.searchParams.get('audience') || `https://github.com/${REPOSITORY.split('/')[0]}`,
      ref: 'refs/heads/main',
      sha: '0'.repeat(40),
      repository: REPOSITORY,
      repository_owner: REPOSITORY.split('/')[0],
      run_id: '1',
      run_attempt: '1',
      actor: 'efsync-test',
      workflow: 'publish',
      event_name: 'push',
      ref_type: 'branch',
      job_workflow_ref: `${REPOSITORY}/.github/workflows/publish.yml@refs/heads/main`,
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
