import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { InstanceError, instanceTags, type LaunchRequest, launchInput } from '../../../src/remote/instance/launch.js';
import { userData } from '../../../src/remote/instance/switch.js';
import { waitOnline, waitRunning } from '../../../src/remote/instance/wait.js';
import type { Preflight } from '../../../src/remote/preflight/preflight.js';

const NOW = new Date('2026-03-04T05:06:07.890Z');

const preflight: Preflight = {
  subnetId: 'subnet-0abc',
  availabilityZone: 'eu-central-1a',
  securityGroupIds: ['sg-0001', 'sg-0002'],
  mount: {
    fileSystemId: 'fs-0123',
    dnsName: 'fs-0123.efs.eu-central-1.amazonaws.com',
    iam: false,
    plainNfsAllowed: true,
    reason: 'no policy',
  },
  accessPointRoot: '/',
  instanceTypes: [{ type: 't3.micro', architecture: 'x86_64' }],
};

function request(extra: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    runId: '123456-20260304T050607Z-a1b2c3',
    stack: 'efsync-models',
    fileSystemId: 'fs-0123',
    instanceProfile: 'efsync-instance',
    timeoutMinutes: 30,
    checked: preflight,
    ...extra,
  };
}

beforeEach(() => vi.stubEnv('GITHUB_REPOSITORY', 'octo/models'));
afterEach(() => vi.unstubAllEnvs());

describe('instanceTags', () => {
  it('tags the owner, the stack, the run, the repository, the file system and when the instance expires', () => {
    expect(instanceTags(request(), NOW)).toEqual([
      { Key: 'managed-by', Value: 'efsync' },
      // The template's role may launch only with this tag, and reaches only instances that carry it.
      { Key: 'efsync:stack', Value: 'efsync-models' },
      { Key: 'Name', Value: 'efsync 123456-20260304T050607Z-a1b2c3' },
      { Key: 'efsync:run-id', Value: '123456-20260304T050607Z-a1b2c3' },
      { Key: 'efsync:repository', Value: 'octo/models' },
      { Key: 'efsync:file-system-id', Value: 'fs-0123' },
      { Key: 'expires-at', Value: '2026-03-04T05:36:07.890Z' },
    ]);
  });

  it("says 'local' outside a runner", () => {
    vi.stubEnv('GITHUB_REPOSITORY', undefined);
    expect(instanceTags(request(), NOW).find((t) => t.Key === 'efsync:repository')?.Value).toBe('local');
  });
});

describe('launchInput', () => {
  let input: ReturnType<typeof launchInput>;
  beforeEach(() => {
    input = launchInput(request(), 'ami-0feed', 't3.micro', NOW);
  });

  it('launches one instance of the type and image, in the subnet and groups of preflight', () => {
    expect(input).toMatchObject({
      ImageId: 'ami-0feed',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: 'subnet-0abc',
      SecurityGroupIds: ['sg-0001', 'sg-0002'],
    });
  });

  it('requires IMDSv2 tokens with one hop, and terminates on shutdown', () => {
    expect(input.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      HttpPutResponseHopLimit: 1,
    });
    expect(input.InstanceInitiatedShutdownBehavior).toBe('terminate');
  });

  it('arms the dead-man switch: user data powers the instance off after timeout-minutes', () => {
    expect(Buffer.from(input.UserData ?? '', 'base64').toString('utf8')).toBe(userData(30));
    expect(userData(30).split('\n').slice(0, 2)).toEqual(['#!/bin/bash', 'shutdown -P +30']);
    const short = launchInput(request({ timeoutMinutes: 7 }), 'ami-0feed', 't3.micro', NOW);
    expect(Buffer.from(short.UserData ?? '', 'base64').toString('utf8')).toBe(userData(7));
  });

  it('sizes the root volume from the scratch the agent needs: the root device, gp3, encrypted, deleted with it', () => {
    expect(input.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: { VolumeSize: 8, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ]);
    const staged = launchInput(request({ scratchBytes: 5 * 1024 ** 3 + 1 }), 'ami', 't3.micro', NOW, {
      deviceName: '/dev/sda1',
      sizeGiB: 10,
    });
    expect(staged.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/sda1',
        Ebs: { VolumeSize: 16, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ]);
  });

  it('tags the instance and its volume alike, and the instance with its root volume size', () => {
    const tags = instanceTags(request(), NOW);
    expect(input.TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: [...tags, { Key: 'efsync:root-gib', Value: '8' }] },
      { ResourceType: 'volume', Tags: tags },
    ]);
    const staged = launchInput(request({ scratchBytes: 5 * 1024 ** 3 + 1 }), 'ami', 't3.micro', NOW);
    expect(staged.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: 'efsync:root-gib', Value: '14' });
  });

  it('names the instance profile by name, or by ARN when given one', () => {
    expect(input.IamInstanceProfile).toEqual({ Name: 'efsync-instance' });
    const arn = 'arn:aws:iam::123456789012:instance-profile/efsync-instance';
    expect(launchInput(request({ instanceProfile: arn }), 'ami-0feed', 't3.micro', NOW).IamInstanceProfile).toEqual({
      Arn: arn,
    });
  });

  it('gives a retry of the same run and type the same client token, another type another one', () => {
    expect(input.ClientToken).toBe('efsync-123456-20260304T050607Z-a1b2c3-t3.micro');
    expect(launchInput(request(), 'ami-0feed', 't3.micro', new Date()).ClientToken).toBe(input.ClientToken);
    expect(launchInput(request(), 'ami-0beef', 't4g.micro', NOW).ClientToken).toBe(
      'efsync-123456-20260304T050607Z-a1b2c3-t4g.micro',
    );
  });

  it('keeps the client token within the 64 characters EC2 takes', () => {
    const long = launchInput(
      request({ runId: `${'9'.repeat(20)}-20260304T050607Z-a1b2c3` }),
      'ami',
      'm7i-flex.8xlarge',
      NOW,
    );
    expect(long.ClientToken).toHaveLength(64);
    expect(long.ClientToken).toBe(`efsync-${'9'.repeat(20)}-20260304T050607Z-a1b2c3-m7i-flex.8xl`);
  });
});

/** Clients whose DescribeInstances shows the instance in this state, with this StateReason; SSM never has it. */
function describing(state: string, reason?: { Code: string; Message: string }): AwsClients {
  const instance = { InstanceId: 'i-0abc', State: { Name: state }, ...(reason && { StateReason: reason }) };
  const ec2 = { send: async () => ({ Reservations: [{ Instances: [instance] }] }) };
  const ssm = { send: async () => ({ InstanceInformationList: [] }) };
  return { ec2, ssm } as unknown as AwsClients;
}

const KMS = { Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch' };

describe('waitRunning', () => {
  it('returns once the instance runs', async () => {
    await expect(waitRunning(describing('running'), 'i-0abc', 10)).resolves.toBeUndefined();
  });

  it('fails an instance that went from pending to terminated with its StateReason and the fix', async () => {
    const error = await waitRunning(describing('terminated', KMS), 'i-0abc', 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^Instance i-0abc never ran: it is terminated, with state reason Client\.InternalError \("Client\.InternalError: Client error on launch"\)\. /,
    );
    expect(message).toContain('aws ec2 get-ebs-default-kms-key-id');
    expect(message).toContain('kms:CreateGrant');
  });

  it('says so when EC2 gives no reason', async () => {
    await expect(waitRunning(describing('shutting-down'), 'i-0abc', 10)).rejects.toThrow(
      'Instance i-0abc never ran: it is shutting-down, with no state reason. See the instance in the EC2 console',
    );
  });
});

describe('waitOnline', () => {
  it('fails an instance that ended before SSM had it, with its StateReason and the fix', async () => {
    const reason = {
      Code: 'Client.UserInitiatedShutdown',
      Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    };
    await expect(waitOnline(describing('terminated', reason), 'i-0abc', 60, async () => {})).rejects.toThrow(
      'Instance i-0abc is terminated before SSM could reach it. EC2 gives state reason Client.UserInitiatedShutdown ' +
        '("Client.UserInitiatedShutdown: User initiated shutdown"). Someone or something terminated it',
    );
  });
});
