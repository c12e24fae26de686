// Which warm instance a run takes (src/remote/instance/warm.ts): the same stack, the same file system, subnet, groups, profile and architecture,
// warm-until ahead, Online, and a current image or a young instance; and the bootstrap for instances that stay.
import { type DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { bootstrap } from '../../../src/remote/instance/ssm.js';
import {
  chooseWarm,
  IMAGE_GRACE_MS,
  laterOf,
  type WarmCandidate,
  type WarmWant,
  warmCandidates,
  warmMismatch,
} from '../../../src/remote/instance/warm.js';
import { RemoteError } from '../../../src/remote/outcome.js';
import { sdkFake } from '../../support/sdk-fake.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const want: WarmWant = {
  stack: 'efsync',
  fileSystemId: 'fs-0123456789abcdef0',
  subnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
  securityGroupIds: ['sg-0aaaaaaaaaaaaaaaa', 'sg-0bbbbbbbbbbbbbbbb'],
  instanceProfile: 'efsync-instance',
  architectures: ['arm64'],
  currentImages: { arm64: 'ami-0new' },
  rootGiB: { 't4g.small': 16, 'c7g.large': 16, 'm7g.large': 16, 'c7g.xlarge': 17 },
};
const warm = (over: Partial<WarmCandidate> = {}): WarmCandidate => ({
  id: 'i-0aaaaaaaaaaaaaaaa',
  stack: 'efsync',
  fileSystemId: 'fs-0123456789abcdef0',
  subnetId: 'subnet-0bbbbbbbbbbbbbbbb',
  securityGroupIds: ['sg-0bbbbbbbbbbbbbbbb', 'sg-0aaaaaaaaaaaaaaaa'],
  instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/efsync-instance',
  architecture: 'arm64',
  instanceType: 't4g.small',
  rootGiB: 16,
  imageId: 'ami-0new',
  launchTime: NOW - 3600_000,
  warmUntil: NOW + 600_000,
  online: true,
  ...over,
});

describe('warmMismatch', () => {
  it('takes a matching instance (groups in any order, the profile by name or ARN)', () => {
    expect(warmMismatch(warm(), want, NOW)).toBeUndefined();
    const byArn = { ...want, instanceProfile: 'arn:aws:iam::123456789012:instance-profile/efsync-instance' };
    expect(warmMismatch(warm(), byArn, NOW)).toBeUndefined();
  });

  it.each([
    ['another stack', { stack: 'efsync-other' }],
    ['another file system', { fileSystemId: 'fs-0fedcba9876543210' }],
    ['warm-until has passed', { warmUntil: NOW - 1 }],
    ['subnet subnet-0ccccccccccccccc0 is not one the run launches in', { subnetId: 'subnet-0ccccccccccccccc0' }],
    ['other security groups', { securityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'] }],
    ['another instance profile', { instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/other' }],
    ['architecture x86_64', { architecture: 'x86_64' }],
    [
      'its image is no longer the current one and it is over a day old',
      { imageId: 'ami-0old', launchTime: NOW - IMAGE_GRACE_MS },
    ],
    ['SSM does not have it Online', { online: false }],
    [
      "type t3.small does not fit this run's sizing (it takes t4g.small, c7g.large, m7g.large, c7g.xlarge)",
      { instanceType: 't3.small' },
    ],
    ["its root volume's size is not known (no efsync:root-gib tag)", { rootGiB: undefined }],
    ['its root volume (15 GiB) is smaller than this run needs on t4g.small (16 GiB)', { rootGiB: 15 }],
    // A larger type takes more parts at once (its concurrency), so it needs more room than the smaller one.
    ['its root volume (16 GiB) is smaller than this run needs on c7g.xlarge (17 GiB)', { instanceType: 'c7g.xlarge' }],
  ] as [string, Partial<WarmCandidate>][])('refuses one with %s', (why, over) => {
    expect(warmMismatch(warm(over), want, NOW)).toBe(why);
  });

  it('takes a larger root volume than the run needs, and any type of the sizing', () => {
    expect(warmMismatch(warm({ rootGiB: 200 }), want, NOW)).toBeUndefined();
    expect(warmMismatch(warm({ instanceType: 'm7g.large' }), want, NOW)).toBeUndefined();
  });

  it('takes an instance on an older image while it is less than a day old', () => {
    expect(
      warmMismatch(warm({ imageId: 'ami-0old', launchTime: NOW - IMAGE_GRACE_MS + 1 }), want, NOW),
    ).toBeUndefined();
  });
});

describe('warmCandidates', () => {
  it('asks EC2 for the running warm instances of the stack and the file system only, and reads their stack tag', async () => {
    const asked: DescribeInstancesCommand['input'][] = [];
    const instance = {
      InstanceId: 'i-0aaaaaaaaaaaaaaaa',
      Tags: [
        { Key: 'managed-by', Value: 'efsync' },
        { Key: 'efsync:stack', Value: 'efsync-models' },
        { Key: 'efsync:file-system-id', Value: 'fs-0123456789abcdef0' },
        { Key: 'efsync:warm-until', Value: '2026-12-01T12:10:00.000Z' },
      ],
    };
    const clients = {
      ec2: sdkFake(EC2Client, async (command: DescribeInstancesCommand) => {
        asked.push(command.input);
        return { Reservations: [{ Instances: [instance] }] };
      }),
      ssm: sdkFake(SSMClient, async () => ({ InstanceInformationList: [] })),
    } as unknown as AwsClients;
    const found = await warmCandidates(clients, 'efsync-models', 'fs-0123456789abcdef0');
    expect(asked[0]?.Filters).toEqual([
      { Name: 'tag:managed-by', Values: ['efsync'] },
      { Name: 'tag:efsync:stack', Values: ['efsync-models'] },
      { Name: 'tag:efsync:file-system-id', Values: ['fs-0123456789abcdef0'] },
      { Name: 'tag-key', Values: ['efsync:warm-until'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ]);
    expect(found.map((c) => [c.id, c.stack])).toEqual([['i-0aaaaaaaaaaaaaaaa', 'efsync-models']]);
    // Found by another stack's run, it would not be taken (its role could not send it a command anyway).
    expect(warmMismatch(found[0] as WarmCandidate, { ...want, stack: 'efsync' }, NOW)).toBe('another stack');
  });
});

describe('chooseWarm', () => {
  it('takes the matching instance warm the longest, and none when none matches', () => {
    const a = warm({ id: 'i-0aaaaaaaaaaaaaaaa', warmUntil: NOW + 60_000 });
    const b = warm({ id: 'i-0bbbbbbbbbbbbbbbb', warmUntil: NOW + 900_000 });
    const c = warm({ id: 'i-0cccccccccccccccc', warmUntil: NOW + 1800_000, online: false });
    expect(chooseWarm([a, b, c], want, NOW)?.id).toBe('i-0bbbbbbbbbbbbbbbb');
    expect(chooseWarm([c], want, NOW)).toBeUndefined();
    expect(chooseWarm([], want, NOW)).toBeUndefined();
  });

  it('never moves a time earlier', () => {
    expect(laterOf('2026-12-01T13:00:00.000Z', NOW).toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(laterOf('2026-12-01T11:00:00.000Z', NOW).getTime()).toBe(NOW);
    expect(laterOf(undefined, NOW).getTime()).toBe(NOW);
  });
});

describe('bootstrap for an instance that stays', () => {
  const URL = 'https://bucket.s3.amazonaws.com/efsync/runs/r/job.json?X=1';
  const SHA = 'a'.repeat(64);

  it('holds its lease while it runs, takes turns on the instance, and records warm-until on success', () => {
    const lines = bootstrap(URL, SHA, { lease: '0123456789abcdef', armSeconds: 3660, warmSeconds: 600 });
    expect(lines).toContain(
      `trap 'rm -f /var/lib/efsync/leases/0123456789abcdef; efsync_arm || true; cd / && rm -rf "$work"' EXIT`,
    );
    expect(lines).toContain('echo $(( $(date +%s) + 3660 )) > /var/lib/efsync/leases/0123456789abcdef');
    expect(lines.at(-2)).toBe('flock /var/lib/efsync/agent.lock python3 efsync_agent.pyz job.json');
    expect(lines.at(-1)).toBe('efsync_warm 600');
  });

  it('never arms a shutdown on a borrowed instance', () => {
    const lines = bootstrap(URL, SHA, {});
    expect(lines.join('\n')).not.toMatch(/shutdown|efsync_arm|lease/);
    expect(lines.at(-1)).toBe('flock /var/lib/efsync/agent.lock python3 efsync_agent.pyz job.json');
  });

  it('refuses a time that is not a whole number of seconds, and a lease that is not hex', () => {
    expect(() => bootstrap(URL, SHA, { lease: 'abcdef0123', armSeconds: 60, warmSeconds: 1.5 })).toThrow(RemoteError);
    expect(() => bootstrap(URL, SHA, { lease: 'abcdef0123', armSeconds: -1 })).toThrow('bad dead-man switch time');
    expect(() => bootstrap(URL, SHA, { lease: "x'; reboot", armSeconds: 60 })).toThrow('bad dead-man switch lease');
    expect(() => bootstrap(URL, SHA, { armSeconds: 60 })).toThrow('bad dead-man switch lease');
  });
});
