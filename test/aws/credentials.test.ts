// Credentials: the role's session renewed through OIDC before it expires, and environment keys that expire before
// the run could end refused up front. STS is answered in-process: nothing here reaches the network.
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { CredentialsError, openClients, refuseExpiringCredentials } from '../../src/aws/credentials.js';
import type { AwsConfig } from '../../src/config/types.js';
import { silentReporter } from '../../src/core/reporter.js';

const AWS = {
  region: 'eu-central-1',
  roleToAssume: 'arn:aws:iam::123456789012:role/efsync',
  roleSessionName: 'efsync',
  roleDurationSeconds: 900,
  audience: 'sts.amazonaws.com',
} as AwsConfig;

afterEach(() => vi.restoreAllMocks());

/** STS answering each AssumeRoleWithWebIdentity with new keys that live `lifetimeMs`. */
function fakeSts(lifetimeMs: number) {
  let issued = 0;
  return vi.spyOn(STSClient.prototype, 'send').mockImplementation(async (command: unknown) => {
    if (!(command instanceof AssumeRoleWithWebIdentityCommand)) throw new Error('unexpected call');
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIA${issued}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `token-${issued}`,
        Expiration: new Date(Date.now() + lifetimeMs),
      },
    } as never;
  });
}

describe('openClients with role-to-assume', () => {
  it('assumes the role again with a new OIDC token before the session expires, and masks the new keys', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const send = fakeSts(15 * 60 * 1000); // AWS's shortest session
      const secrets: string[] = [];
      const reporter = { ...silentReporter, secret: (value: string) => secrets.push(value) };
      const idToken = vi.fn(async () => 'oidc-token');
      const clients = await openClients(AWS, reporter, idToken);
      expect((await clients.s3.config.credentials()).accessKeyId).toBe('ASIA1');
      vi.setSystemTime(Date.now() + 4 * 60 * 1000); // 11 minutes left: kept
      expect((await clients.ec2.config.credentials()).accessKeyId).toBe('ASIA1');
      vi.setSystemTime(Date.now() + 4 * 60 * 1000); // 7 minutes left, under half of 15: renewed for the next asking
      expect((await clients.ssm.config.credentials()).accessKeyId).toBe('ASIA2');
      expect(clients.expiration?.getTime()).toBe(Date.now() + 15 * 60 * 1000);
      // The SDK's client keeps what it holds until five minutes before its end, then asks and gets the renewed one.
      expect((await clients.s3.config.credentials()).accessKeyId).toBe('ASIA1');
      vi.setSystemTime(Date.now() + 3 * 60 * 1000);
      expect((await clients.s3.config.credentials()).accessKeyId).toBe('ASIA2');
      expect(idToken).toHaveBeenCalledTimes(2);
      expect(send).toHaveBeenCalledTimes(2);
      expect(secrets).toEqual([
        'oidc-token',
        'ASIA1',
        'secret-1',
        'token-1',
        'token-1', // as it stands URL-encoded in a presigned URL (the same text here)
        'oidc-token',
        'ASIA2',
        'secret-2',
        'token-2',
        'token-2',
      ]);
      clients.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('renews a session shorter than twenty minutes at half its lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      fakeSts(60 * 1000);
      const clients = await openClients(AWS, silentReporter, async () => 'oidc-token');
      vi.setSystemTime(Date.now() + 29 * 1000);
      expect((await clients.s3.config.credentials()).accessKeyId).toBe('ASIA1');
      vi.setSystemTime(Date.now() + 2 * 1000);
      expect((await clients.s3.config.credentials()).accessKeyId).toBe('ASIA2');
      clients.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives every client the one session while it is fresh', async () => {
    const send = fakeSts(60 * 60 * 1000);
    const clients = await openClients(AWS, silentReporter, async () => 'oidc-token');
    const [a, b] = await Promise.all([clients.s3.config.credentials(), clients.ec2.config.credentials()]);
    expect(a.accessKeyId).toBe('ASIA1');
    expect(b.accessKeyId).toBe('ASIA1');
    expect(send).toHaveBeenCalledTimes(1);
    clients.destroy();
  });
});

describe('refuseExpiringCredentials', () => {
  const keys = { accessKeyId: 'ASIAENV', secretAccessKey: 's', sessionToken: 't' };
  const env = { AWS_ACCESS_KEY_ID: 'ASIAENV' };
  const now = Date.parse('2030-01-01T00:00:00Z');
  const expiring = (minutes: number) => new Date(now + minutes * 60 * 1000);

  it('refuses environment keys that expire before timeout-minutes, naming the inputs to change', async () => {
    const clients = new AwsClients({ region: 'eu-central-1', credentials: { ...keys, expiration: expiring(50) } });
    const defaults = { ...AWS, roleToAssume: undefined } as unknown as AwsConfig;
    const refused = refuseExpiringCredentials(clients, defaults, 60, env, now);
    await expect(refused).rejects.toThrow(CredentialsError);
    await expect(refused).rejects.toThrow(
      /^The AWS credentials in the environment expire at 2030-01-01T00:50:00.000Z, before timeout-minutes \(60\) can end.*role-to-assume.*role-duration-seconds of at least 3900.*timeout-minutes to 50 or less\.$/,
    );
    clients.destroy();
  });

  it('accepts keys that cover the run, keys without an expiration, and credentials that renew', async () => {
    const defaults = { ...AWS, roleToAssume: undefined } as unknown as AwsConfig;
    const long = new AwsClients({ region: 'eu-central-1', credentials: { ...keys, expiration: expiring(61) } });
    await expect(refuseExpiringCredentials(long, defaults, 60, env, now)).resolves.toBeUndefined();
    const lasting = new AwsClients({ region: 'eu-central-1', credentials: keys });
    await expect(refuseExpiringCredentials(lasting, defaults, 60, env, now)).resolves.toBeUndefined();
    const short = new AwsClients({ region: 'eu-central-1', credentials: { ...keys, expiration: expiring(5) } });
    await expect(refuseExpiringCredentials(short, AWS, 60, env, now)).resolves.toBeUndefined();
    await expect(refuseExpiringCredentials(short, defaults, 60, {}, now)).resolves.toBeUndefined();
    for (const c of [long, lasting, short]) c.destroy();
  });
});
