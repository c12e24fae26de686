// SSM Run Command on the test bed, with real SDK v3 clients: scripts really run in the instance's sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clients, launch, launchOnline, sendScript, waitDone, waitOnline } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';

let aws: LocalAws;
let instanceId: string;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '1000']);
  instanceId = await launchOnline(aws);
}, 60_000);
afterAll(() => aws?.stop());
beforeEach(() => aws.reset());

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('an instance', () => {
  it('vanishes on the next SendCommand naming it, when told: terminated, InvalidInstanceId', async () => {
    const id = await launchOnline(aws);
    await aws.control('POST', `/instances/${id}/vanish-on-send`);
    await expect(sendScript(aws, id, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    const { ec2 } = clients(aws);
    const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(found.Reservations?.[0]?.Instances?.[0]?.State?.Name).toMatch(/terminated|shutting-down/);
  });

  it('comes Online after the delay, and not before', async () => {
    const { ssm } = clients(aws);
    const id = await launch(aws);
    const early = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    expect(early.InstanceInformationList).toEqual([]);
    await expect(sendScript(aws, id, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    await waitOnline(aws, id);
    const info = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    expect(info.InstanceInformationList?.[0]).toMatchObject({
      InstanceId: id,
      PingStatus: 'Online',
      PlatformName: 'Amazon Linux',
    });
  });

  it('mounts EFS and writes a file that appears under <state-dir>/efs/<fs-id>/', async () => {
    const { fileSystemId, region, stateDir } = aws.info;
    const commandId = await sendScript(aws, instanceId, [
      '#!/bin/bash',
      'set -euo pipefail',
      'dnf install -y nfs-utils >/dev/null',
      'mkdir -p /mnt/efs',
      `mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2 ${fileSystemId}.efs.${region}.amazonaws.com:/ /mnt/efs`,
      'mkdir -p /mnt/efs/hello',
      'echo "written on $(hostname -s 2>/dev/null || echo instance) by $(whoami) with $(python3 --version)" > /mnt/efs/hello/world.txt',
      'cat /mnt/efs/hello/world.txt',
    ]);
    const inv = await waitDone(aws, commandId, instanceId);
    expect(inv.StandardErrorContent).toBe('');
    expect(inv).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 });
    const written = fs.readFileSync(path.join(stateDir, 'efs', fileSystemId, 'hello', 'world.txt'), 'utf8');
    expect(written).toMatch(/by root with Python 3\.9\.\d+/);
    expect(inv.StandardOutputContent).toBe(written);
    // The mount was private to the command: nothing is mounted on the machine's own /mnt/efs.
    expect(fs.existsSync('/mnt/efs/hello/world.txt')).toBe(false);
  });

  it('mounts through an access point at its root directory, with the EFS mount helper', async () => {
    const { fileSystemId, accessPointId, stateDir } = aws.info;
    const commandId = await sendScript(aws, instanceId, [
      'set -e',
      'dnf install -y amazon-efs-utils >/dev/null',
      'mkdir -p /mnt/ap',
      `mount -t efs -o tls,accesspoint=${accessPointId} ${fileSystemId}:/ /mnt/ap`,
      'echo ap > /mnt/ap/through-ap.txt',
    ]);
    expect((await waitDone(aws, commandId, instanceId)).Status).toBe('Success');
    expect(fs.readFileSync(path.join(stateDir, 'efs', fileSystemId, 'lambda', 'through-ap.txt'), 'utf8')).toBe('ap\n');
  });

  it('fails a mount of a file system that does not exist, as mount.nfs4 would', async () => {
    const commandId = await sendScript(aws, instanceId, [
      'mkdir -p /mnt/x',
      'mount -t nfs4 fs-0000000000000000a.efs.us-east-1.amazonaws.com:/ /mnt/x',
    ]);
    const inv = await waitDone(aws, commandId, instanceId);
    expect(inv).toMatchObject({ Status: 'Failed', ResponseCode: 32 });
    expect(inv.StandardErrorContent).toContain('Failed to resolve server');
  });
});

describe('statuses and output', () => {
  it('answers InvocationDoesNotExist for a while after SendCommand, and lists nothing yet', async () => {
    const { ssm } = clients(aws);
    await aws.settings({ invocationDelayMs: 1500 });
    try {
      const commandId = await sendScript(aws, instanceId, ['echo hi']);
      await expect(
        ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
      ).rejects.toMatchObject({
        name: 'InvocationDoesNotExist',
      });
      expect((await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }))).CommandInvocations).toEqual(
        [],
      );
      const inv = await waitDone(aws, commandId, instanceId);
      expect(inv).toMatchObject({ Status: 'Success', StandardOutputContent: 'hi\n' });
    } finally {
      await aws.settings({ invocationDelayMs: 500 });
    }
  });

  it('goes Pending, then InProgress, then Failed with the exit code', async () => {
    const { ssm } = clients(aws);
    const sent = await ssm.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands: ['sleep 2', 'echo oops >&2', 'exit 3'] },
      }),
    );
    expect(sent.Command?.Status).toBe('Pending');
    const commandId = sent.Command?.CommandId ?? '';
    await new Promise((r) => setTimeout(r, 1000));
    const running = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    expect(running).toMatchObject({ Status: 'InProgress', ResponseCode: -1 });
    const inv = await waitDone(aws, commandId, instanceId);
    expect(inv).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 3,
      StandardErrorContent: 'oops\n',
    });
    const listed = await ssm.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Failed', CompletedCount: 1, ErrorCount: 1 });
    const invocations = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    expect(invocations.CommandInvocations?.[0]?.CommandPlugins?.[0]).toMatchObject({
      Name: 'aws:runShellScript',
      ResponseCode: 3,
    });
  });

  it('caps standard output at 24,000 characters and standard error at 8,000', async () => {
    const commandId = await sendScript(aws, instanceId, [
      "python3 -c \"import sys; sys.stdout.write('o' * 30000); sys.stderr.write('e' * 10000)\"",
    ]);
    const inv = await waitDone(aws, commandId, instanceId);
    expect(inv.Status).toBe('Success');
    expect(inv.StandardOutputContent).toBe('o'.repeat(24000));
    expect(inv.StandardErrorContent).toBe('e'.repeat(8000));
  });

  it('kills the process tree at executionTimeout and reports TimedOut, with no output', async () => {
    const commandId = await sendScript(
      aws,
      instanceId,
      ['echo $$ > /var/tmp/timeout.pid', 'echo started', 'sleep 300 & wait'],
      '2',
    );
    const inv = await waitDone(aws, commandId, instanceId);
    // Output only for Success or Failed (GetCommandInvocationResult.StandardOutputContent).
    expect(inv).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', StandardOutputContent: '' });
    const pid = Number(
      fs.readFileSync(path.join(aws.info.stateDir, 'instances', instanceId, 'var', 'tmp', 'timeout.pid'), 'utf8'),
    );
    expect(isAlive(pid)).toBe(false);
  });

  it('cancels: kills the process and reports Cancelling, then Cancelled', async () => {
    const { ssm } = clients(aws);
    const commandId = await sendScript(aws, instanceId, ['echo $$ > /var/tmp/cancel.pid', 'echo started', 'sleep 300']);
    await new Promise((r) => setTimeout(r, 1500));
    await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
    const cancelling = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
    );
    expect(cancelling.Status).toBe('Cancelling');
    const inv = await waitDone(aws, commandId, instanceId);
    expect(inv.Status).toBe('Cancelled');
    expect(inv.StandardOutputContent).toBe('');
    const pid = Number(
      fs.readFileSync(path.join(aws.info.stateDir, 'instances', instanceId, 'var', 'tmp', 'cancel.pid'), 'utf8'),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid)).toBe(false);
  });

  it('refuses documents other than AWS-RunShellScript, and empty commands', async () => {
    const { ssm } = clients(aws);
    await expect(
      ssm.send(
        new SendCommandCommand({
          InstanceIds: [instanceId],
          DocumentName: 'AWS-RunPowerShellScript',
          Parameters: { commands: ['x'] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDocument' });
    await expect(
      ssm.send(
        new SendCommandCommand({
          InstanceIds: [instanceId],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands: [] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameters' });
  });
});
