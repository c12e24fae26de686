// The instance metadata service as IMDSv2 answers (imds.ts has the sources): a session token first, its TTL 1 to 21600
// seconds; a GET without a token refused when HttpTokens is required; a token that is not valid refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Imds, type InstanceMetadata } from './imds.ts';

const META: Record<string, InstanceMetadata> = {
  'i-0000000000000000a': {
    instanceId: 'i-0000000000000000a',
    availabilityZone: 'eu-central-1b',
    region: 'eu-central-1',
    httpTokens: 'required',
  },
  'i-0000000000000000b': {
    instanceId: 'i-0000000000000000b',
    availabilityZone: 'eu-central-1a',
    region: 'eu-central-1',
    httpTokens: 'optional',
  },
};
const imds = new Imds(async (id) => META[id]);
let a = '';
let b = '';

beforeAll(async () => {
  a = await imds.endpoint('i-0000000000000000a');
  b = await imds.endpoint('i-0000000000000000b');
});
afterAll(() => imds.close());

async function token(endpoint: string, ttl?: string, headers: Record<string, string> = {}) {
  const answer = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { ...(ttl !== undefined && { 'X-aws-ec2-metadata-token-ttl-seconds': ttl }), ...headers },
  });
  return { status: answer.status, body: await answer.text() };
}

async function get(endpoint: string, item: string, sessionToken?: string) {
  const answer = await fetch(`${endpoint}/latest/meta-data/${item}`, {
    headers: sessionToken === undefined ? {} : { 'X-aws-ec2-metadata-token': sessionToken },
  });
  return { status: answer.status, body: await answer.text() };
}

describe('the instance metadata service', () => {
  it('gives each instance an endpoint of its own on loopback', () => {
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(b).not.toBe(a);
  });

  it('issues a token for a TTL of 1 to 21600 seconds, and answers 400 to any other PUT', async () => {
    for (const ttl of ['1', '21600']) expect((await token(a, ttl)).status).toBe(200);
    for (const ttl of [undefined, '0', '21601', '-5', '60s', '']) expect((await token(a, ttl)).status, ttl).toBe(400);
  });

  it('refuses a token to a request forwarded by a proxy (X-Forwarded-For)', async () => {
    expect((await token(a, '60', { 'X-Forwarded-For': '10.0.0.1' })).status).toBe(403);
  });

  it('with HttpTokens required: 401 without a token, the items with one', async () => {
    expect(await get(a, 'instance-id')).toEqual({ status: 401, body: 'Unauthorized' });
    const { body: t } = await token(a, '60');
    expect(await get(a, 'instance-id', t)).toEqual({ status: 200, body: 'i-0000000000000000a' });
    expect(await get(a, 'placement/availability-zone', t)).toEqual({ status: 200, body: 'eu-central-1b' });
    expect(await get(a, 'placement/region', t)).toEqual({ status: 200, body: 'eu-central-1' });
    expect((await get(a, 'no-such-item', t)).status).toBe(404);
  });

  it('answers 401 to a token it did not issue, and to another instance’s token', async () => {
    expect((await get(a, 'instance-id', 'not-a-token')).status).toBe(401);
    const { body: other } = await token(b, '60');
    expect((await get(a, 'instance-id', other)).status).toBe(401);
    expect((await get(b, 'instance-id', other)).status).toBe(200);
  });

  it('answers 401 to a token past its TTL', async () => {
    const { body: t } = await token(a, '1');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(a, 'instance-id', t)).status).toBe(401);
  });

  it('with HttpTokens optional (IMDSv1 on): answers without a token too', async () => {
    expect(await get(b, 'placement/availability-zone')).toEqual({ status: 200, body: 'eu-central-1a' });
  });
});
