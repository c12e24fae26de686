// Role sessions STS issued, and their end: a request signed with a session's keys after its Expiration is refused,
// as AWS refuses it, whatever moto would say. A presigned URL carries the keys in X-Amz-Credential and is refused
// the same way ("Who can create a presigned URL": a URL signed with role credentials expires with the session,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html).
import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol } from './aws-protocol.ts';

export interface Expired {
  code: string;
  message: string;
  status: number;
}

/** The access key id a request is signed with: the Authorization header's, or a presigned URL's. */
export function accessKeyOf(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const header = /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ''))?.[1];
  return header ?? url.searchParams.get('X-Amz-Credential')?.split('/')[0] ?? undefined;
}

export class Sessions {
  private readonly expiries = new Map<string, number>();
  private readonly principals = new Map<string, string>();

  /**
   * Who signs with these keys, as a refusal names them: the assumed role's session for keys STS issued, else what
   * moto's GetCallerIdentity answers for keys it does not know (moto/sts/models.py: arn:aws:sts::<account>:user/moto).
   */
  principalOf(key: string | undefined): string {
    return (key && this.principals.get(key)) || 'arn:aws:sts::123456789012:user/moto';
  }

  /** The assumed-role ARN of keys STS issued, or undefined for keys it did not issue. */
  sessionOf(key: string | undefined): string | undefined {
    return key === undefined ? undefined : this.principals.get(key);
  }

  /**
   * Notes the keys of an AssumeRole* answer and when they expire. With `sessionSeconds`, a deliberate scaling of
   * time for tests (AWS's shortest session is 900 s: DurationSeconds, minimum value 900,
   * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html), the session is issued
   * that long instead and its Expiration says so. Returns the answer to send.
   */
  issued(answer: string, sessionSeconds: number | null | undefined, now = Date.now()): string {
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer)?.[1];
    const expiration = /<Expiration>([^<]+)<\/Expiration>/.exec(answer)?.[1];
    if (!key || !expiration) return answer;
    const arn = /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/.exec(answer)?.[1];
    if (arn) this.principals.set(key, arn);
    let expires = Date.parse(expiration);
    let text = answer;
    if (typeof sessionSeconds === 'number' && sessionSeconds > 0) {
      expires = now + sessionSeconds * 1000;
      const iso = new Date(expires).toISOString();
      text = answer.replace(/<Expiration>[^<]+<\/Expiration>/, `<Expiration>${iso}</Expiration>`);
    }
    this.expiries.set(key, expires);
    return text;
  }

  /** How AWS refuses a request signed with a session that has ended, or undefined. */
  expired(key: string | undefined, protocol: Protocol, service: string, now = Date.now()): Expired | undefined {
    const expires = key === undefined ? undefined : this.expiries.get(key);
    if (expires === undefined || now < expires) return undefined;
    // S3: ExpiredToken, "The provided token has expired.", 400 Bad Request (Amazon S3 error codes,
    // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html; observed as 400 ExpiredToken on a GET in
    // https://issues.apache.org/jira/browse/HADOOP-18353).
    if (service === 's3') return { code: 'ExpiredToken', message: 'The provided token has expired.', status: 400 };
    // JSON protocols: ExpiredTokenException, HTTP 403 (Common Errors,
    // https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html).
    if (protocol === 'json' || protocol === 'rest-json') {
      return {
        code: 'ExpiredTokenException',
        message: 'The security token included in the request is expired',
        status: 403,
      };
    }
    // Query protocols (EC2, IAM, STS): ExpiredToken, HTTP 403
    // (https://aws.amazon.com/premiumsupport/knowledge-center/security-token-expired/: "Status Code: 403; Error
    // Code: ExpiredToken").
    return { code: 'ExpiredToken', message: 'The security token included in the request is expired', status: 403 };
  }
}
