// mode: sweep (src/remote/sweep.ts) terminates the expired instances of its own stack only: the DescribeInstances filter
// names the stack's tag, which is also the only tag the stack's role may terminate.
import { type DescribeInstancesCommand, EC2Client, type TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import type { Config } from '../../src/config/types.js';
import { silentReporter } from '../../src/core/reporter.js';
import { emptyStats } from '../../src/core/result.js';
import { sweep } from '../../src/remote/sweep.js';
import { sdkFake } from '../support/sdk-fake.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

function config(stack: string, fileSystemId = ''): Config {
  return {
    fileSystem: { id: fileSystemId, stack, lambdaMountPath: '/mnt/efs' },
    staging: { prefix: 'efsync/' },
  } as unknown as Config;
}

function fakeEc2(instances: { id: string; expiresAt: string; warmUntil?: string }[]) {
  const described: DescribeInstancesCommand['input'][] = [];
  const terminated: string[] = [];
  const clients = {
    ec2: sdkFake(EC2Client, async (command: DescribeInstancesCommand | TerminateInstancesCommand) => {
      if ('InstanceIds' in command.input && command.constructor.name === 'TerminateInstancesCommand') {
        terminated.push(...(command.input.InstanceIds ?? []));
        return {};
      }
      described.push(command.input as DescribeInstancesCommand['input']);
      return {
        Reservations: [
          {
            Instances: instances.map((i) => ({
              InstanceId: i.id,
              Tags: [
                { Key: 'expires-at', Value: i.expiresAt },
                ...(i.warmUntil ? [{ Key: 'efsync:warm-until', Value: i.warmUntil }] : []),
              ],
            })),
          },
        ],
      };
    }),
    s3: { send: async () => ({}) },
  } as unknown as AwsClients;
  return { clients, described, terminated };
}

describe('sweep', () => {
  it('looks only at the instances of its stack (and of the file system when one is named)', async () => {
    const { clients, described } = fakeEc2([]);
    const result = await sweep(
      config('efsync-models', 'fs-0123456789abcdef0'),
      clients,
      silentReporter,
      emptyStats(),
      NOW,
    );
    expect(described[0]?.Filters).toEqual([
      { Name: 'tag:managed-by', Values: ['efsync'] },
      { Name: 'tag:efsync:stack', Values: ['efsync-models'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      { Name: 'tag:efsync:file-system-id', Values: ['fs-0123456789abcdef0'] },
    ]);
    expect(result.plan).toEqual(['No expired efsync instance of stack efsync-models.']);
  });

  it('terminates the expired ones it found, warm or not, and leaves the others', async () => {
    const { clients, described, terminated } = fakeEc2([
      { id: 'i-0aaaaaaaaaaaaaaaa', expiresAt: '2026-12-01T11:00:00Z' },
      { id: 'i-0bbbbbbbbbbbbbbbb', expiresAt: '2026-12-01T11:30:00Z', warmUntil: '2026-12-01T11:30:00Z' },
      { id: 'i-0cccccccccccccccc', expiresAt: '2026-12-01T13:00:00Z' },
    ]);
    await sweep(config('efsync'), clients, silentReporter, emptyStats(), NOW);
    expect(described[0]?.Filters?.[1]).toEqual({ Name: 'tag:efsync:stack', Values: ['efsync'] });
    expect(terminated).toEqual(['i-0aaaaaaaaaaaaaaaa', 'i-0bbbbbbbbbbbbbbbb']);
  });
});
