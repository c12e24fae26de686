// A test bed instance runs a command as SSM Agent does (sandbox.ts has the sources): the agent's environment (no
// TMPDIR, no HOME) plus AWS_SSM_*; /tmp and /var/tmp of its own, kept from one command to the next; and its metadata
// service, IMDSv2 with tokens required for an Amazon Linux 2023 image, naming the zone EC2 placed it in.
import fs from 'node:fs';
import path from 'node:path';
import { DescribeInstancesCommand, DescribeInstanceTypesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, launch, launchOnline, sendScript, waitDone, waitOnline } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';

let aws: LocalAws;
let id: string;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  id = await launchOnline(aws);
}, 60_000);
afterAll(() => aws?.stop());

async function run(instanceId: string, commands: string[]) {
  const done = await waitDone(aws, await sendScript(aws, instanceId, ['#!/bin/bash', ...commands]), instanceId);
  expect(done.StandardErrorContent).toBe('');
  return done.StandardOutputContent ?? '';
}

// IMDSv2 from the instance, as the agent asks it: a token, then the item; and a GET without a token.
const IMDS = `python3 - <<'PY'
import os, urllib.request, urllib.error
base = os.environ['AWS_EC2_METADATA_SERVICE_ENDPOINT'] + '/latest/'
try:
    urllib.request.urlopen(base + 'meta-data/instance-id', timeout=2)
    print('no-token 200')
except urllib.error.HTTPError as e:
    print('no-token %d' % e.code)
put = urllib.request.Request(base + 'api/token', method='PUT', headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'})
token = urllib.request.urlopen(put, timeout=2).read().decode()
for item in ('instance-id', 'placement/availability-zone', 'placement/region'):
    get = urllib.request.Request(base + 'meta-data/' + item, headers={'X-aws-ec2-metadata-token': token})
    print(item, urllib.request.urlopen(get, timeout=2).read().decode())
PY`;

describe('an instance', () => {
  it('runs a command in the environment SSM Agent gives it: no TMPDIR, no HOME, AWS_SSM_INSTANCE_ID', async () => {
    const out = await run(id, [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, expanded by bash
      'echo "TMPDIR=${TMPDIR-unset} HOME=${HOME-unset} USER=${USER-unset}"',
      'echo "instance=$AWS_SSM_INSTANCE_ID region=$AWS_SSM_REGION_NAME"',
      'whoami',
      'python3 -c "import tempfile; print(tempfile.gettempdir())"',
      'mktemp',
    ]);
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'TMPDIR=unset HOME=unset USER=unset',
      `instance=${id} region=${aws.info.region}`,
      'root',
      '/tmp',
    ]);
    expect(lines[4]).toMatch(/^\/tmp\/tmp\.\w+$/);
  });

  it('keeps /tmp and /var/tmp from one command to the next; another instance has its own', async () => {
    await run(id, ['echo one > /tmp/kept', 'echo two > /var/tmp/kept']);
    expect(await run(id, ['cat /tmp/kept /var/tmp/kept'])).toBe('one\ntwo\n');
    const dir = path.join(aws.info.stateDir, 'instances', id);
    expect(fs.readFileSync(path.join(dir, 'tmp', 'kept'), 'utf8')).toBe('one\n');
    expect(fs.readFileSync(path.join(dir, 'var', 'tmp', 'kept'), 'utf8')).toBe('two\n');
    const other = await launch(aws);
    await waitOnline(aws, other);
    expect(await run(other, ['ls -A /tmp /var/tmp'])).toBe('/tmp:\n\n/var/tmp:\n');
  });

  it("bounds /tmp as AL2023 does: a tmpfs of half the type's memory and a million inodes", async () => {
    const { ec2 } = clients(aws);
    const type = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]
      ?.InstanceType;
    const info = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as never] }));
    const memoryMiB = info.InstanceTypes?.[0]?.MemoryInfo?.SizeInMiB ?? 0;
    expect(memoryMiB).toBeGreaterThan(0);
    // stat -f: the file system's type, its size in blocks, the block size, and its inodes.
    const [fsType, blocks, blockSize, inodes] = (await run(id, ['stat -f -c "%T %b %S %c" /tmp'])).trim().split(' ');
    expect(fsType).toBe('tmpfs');
    expect(Number(blocks) * Number(blockSize)).toBe((memoryMiB * 1024 * 1024) / 2);
    expect(Number(inodes)).toBe(1_000_000);
  });

  it('asks its metadata service with a token: 401 without one, its id, zone and region with one', async () => {
    const { ec2 } = clients(aws);
    const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const zone = found.Reservations?.[0]?.Instances?.[0]?.Placement?.AvailabilityZone;
    expect(zone).toMatch(new RegExp(`^${aws.info.region}[a-z]$`));
    expect(await run(id, [IMDS])).toBe(
      `no-token 401\ninstance-id ${id}\nplacement/availability-zone ${zone}\nplacement/region ${aws.info.region}\n`,
    );
  });
});
