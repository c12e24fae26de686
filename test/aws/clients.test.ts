// The run's AWS clients, inspected through their resolved config: nothing here reaches the network.
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClients, clientConfig } from '../../src/aws/clients.js';
import type { TaggedError } from '../../src/aws/errors.js';

const FIRST = { accessKeyId: 'AKIAFIRST', secretAccessKey: 'first-secret' };
const SECOND = { accessKeyId: 'ASIASECOND', secretAccessKey: 'second-secret', sessionToken: 'token' };

afterEach(() => vi.unstubAllEnvs());

/** A middleware that fails every call before it is signed or sent, as AWS would answer. */
function failWith(client: { middlewareStack: { add: (m: never, o: { step: 'build' }) => void } }, name: string) {
  const fail = () => async () => {
    throw Object.assign(new Error(`${name} from the test`), { name });
  };
  client.middlewareStack.add(fail as never, { step: 'build' });
}

describe('AwsClients', () => {
  it('makes each client on first use and hands out the same one after', () => {
    const clients = new AwsClients({ region: 'eu-central-1', credentials: FIRST });
    const s3 = clients.s3;
    expect(clients.s3).toBe(s3);
    expect(clients.ec2).toBe(clients.ec2);
    expect(clients.ec2).not.toBe(clients.ssm);
    clients.destroy();
  });

  it('makes a new client after destroy()', () => {
    const clients = new AwsClients({ region: 'eu-central-1', credentials: FIRST });
    const before = clients.ssm;
    clients.destroy();
    clients.destroy(); // idempotent
    const after = clients.ssm;
    expect(after).not.toBe(before);
    expect(clients.ssm).toBe(after);
    clients.destroy();
  });

  it('signs with new credentials after useCredentials, through new clients', async () => {
    const clients = new AwsClients({ region: 'eu-central-1', credentials: FIRST });
    const before = clients.sts;
    expect(await before.config.credentials()).toMatchObject({ accessKeyId: 'AKIAFIRST' });
    clients.useCredentials({ ...SECOND, expiration: new Date('2030-01-01T00:00:00Z') });
    const after = clients.sts;
    expect(after).not.toBe(before);
    expect(await after.config.credentials()).toMatchObject({ accessKeyId: 'ASIASECOND', sessionToken: 'token' });
    expect(clients.expiration).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(clients.region).toBe('eu-central-1');
    clients.destroy();
  });

  it('configures the region, standard retries, the attempts and the user agent of every client', async () => {
    vi.stubEnv('GITHUB_RUN_ID', '9876543210');
    const clients = new AwsClients({ region: 'ap-southeast-2', credentials: FIRST, maxAttempts: 3 });
    for (const client of [clients.ec2, clients.efs, clients.iam, clients.s3, clients.ssm, clients.sts]) {
      expect(await client.config.region()).toBe('ap-southeast-2');
      expect(await client.config.maxAttempts()).toBe(3);
      expect(client.config.retryMode).toBe('standard');
      expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
      expect(client.config.customUserAgent).toEqual([
        ['efsync-action', '1'],
        ['run', '9876543210'],
      ]);
    }
    clients.destroy();
  });

  it('tags a failing call with the IAM action of its service', async () => {
    const clients = new AwsClients({ region: 'eu-central-1', credentials: FIRST, maxAttempts: 1 });
    failWith(clients.s3, 'AccessDenied');
    failWith(clients.efs, 'FileSystemNotFound');
    const s3Error = (await clients.s3
      .send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))
      .catch((e) => e)) as TaggedError;
    expect(s3Error.name).toBe('AccessDenied');
    expect(s3Error.$efsyncAction).toBe('s3:GetObject');
    const efsError = (await clients.efs
      .send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-1' }))
      .catch((e) => e)) as TaggedError;
    expect(efsError.$efsyncAction).toBe('elasticfilesystem:DescribeFileSystems');
    clients.destroy();
  });
});

describe('clientConfig', () => {
  it('defaults to 5 attempts in standard mode', () => {
    vi.stubEnv('GITHUB_RUN_ID', undefined);
    expect(clientConfig({ region: 'us-east-1' })).toEqual({
      region: 'us-east-1',
      retryMode: 'standard',
      maxAttempts: 5,
      customUserAgent: [['efsync-action', '1']],
    });
  });

  it('takes a profile only without credentials', () => {
    expect(clientConfig({ region: 'us-east-1', profile: 'dev' })).toMatchObject({ profile: 'dev' });
    const both = clientConfig({ region: 'us-east-1', profile: 'dev', credentials: FIRST });
    expect(both).not.toHaveProperty('profile');
    expect(both.credentials).toEqual(FIRST);
  });

  it('puts only a safe run id into the user agent', () => {
    vi.stubEnv('GITHUB_RUN_ID', 'x y\r\nInjected: 1');
    expect(clientConfig({ region: 'us-east-1' }).customUserAgent).toEqual([['efsync-action', '1']]);
  });
});
