// The run's teardown against hand-made clients that record every command and answer like AWS: no network.
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import type { Reporter } from '../../src/core/reporter.js';
import type { RunRecord } from '../../src/core/state-keys.js';
import { teardown } from '../../src/remote/teardown.js';
import { sdkFake } from '../support/sdk-fake.ts';

/** The calls of a teardown with every resource recorded and an instance to terminate by id and by tag. */
const EVERY_STEP = [
  'ssm:CancelCommand',
  'ec2:DescribeInstances', // whether another run uses it (a warm instance only: in-use.ts)
  'ec2:DescribeInstances',
  'ec2:TerminateInstances',
  'ec2:DescribeInstances',
  'ec2:TerminateInstances',
  's3:ListMultipartUploads',
  's3:ListObjectsV2',
  's3:DeleteObjects',
];

interface Sent {
  service: 'ec2' | 'ssm' | 's3';
  command: string;
  input: Record<string, unknown>;
}

type Answer = (input: Record<string, unknown>) => unknown;

/** Clients whose `send` records the command and returns (or throws) what `answers` gives for its name. */
function fakeClients(answers: Record<string, Answer>) {
  const sent: Sent[] = [];
  const service = <T extends object>(name: Sent['service'], Client: new (config: object) => T) =>
    sdkFake(Client, async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const commandName = command.constructor.name.replace(/Command$/, '');
      sent.push({ service: name, command: commandName, input: command.input });
      const answer = answers[commandName];
      if (!answer) throw new Error(`unexpected ${commandName}`);
      return answer(command.input);
    });
  const clients = {
    ec2: service('ec2', EC2Client),
    ssm: service('ssm', SSMClient),
    s3: service('s3', S3Client),
  } as unknown as AwsClients;
  return { clients, sent };
}

function recorder() {
  const lines: string[] = [];
  const reporter: Reporter = {
    info: (message) => void lines.push(`info: ${message}`),
    warning: (message) => void lines.push(`warning: ${message}`),
    group: (_title, work) => work(),
    secret: () => {},
  };
  return { lines, reporter };
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

/** DescribeInstances by id gives the instance in `state`; by the run's tag, the instances in `tagged`. */
function instances(state: string | 'absent', tagged: string[] = []): Answer {
  return (input) => {
    if (input.InstanceIds) {
      if (state === 'absent') throw awsError('InvalidInstanceID.NotFound', 'The instance ID does not exist');
      return { Reservations: [{ Instances: [{ InstanceId: 'i-0abc', State: { Name: state } }] }] };
    }
    return { Reservations: [{ Instances: tagged.map((InstanceId) => ({ InstanceId })) }] };
  };
}

const staged = (keys: string[]): Record<string, Answer> => ({
  ListMultipartUploads: () => ({ Uploads: [] }),
  ListObjectsV2: () => ({ Contents: keys.map((Key) => ({ Key })) }),
  DeleteObjects: () => ({}),
});

const RECORD: RunRecord = {
  runId: 'run-1',
  commandId: 'cmd-1',
  instanceId: 'i-0abc',
  stagingBucket: 'efsync-staging',
  runPrefix: 'efsync/runs/run-1/',
};

const { commandId: _, ...WITHOUT_COMMAND } = RECORD;

const names = (sent: Sent[]) => sent.map((s) => `${s.service}:${s.command}`);

describe('teardown', () => {
  it('leaves a warm instance that another run is using, and forgets it for the post step', async () => {
    const warmTags = [
      { Key: 'efsync:warm-until', Value: '2026-12-01T12:30:00.000Z' },
      { Key: 'efsync:last-run', Value: 'run-1' },
    ];
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: (input) =>
        input.InstanceIds
          ? { Reservations: [{ Instances: [{ InstanceId: 'i-0abc', State: { Name: 'running' }, Tags: warmTags }] }] }
          : { Reservations: [] },
      ListCommandInvocations: () => ({
        CommandInvocations: [
          { CommandId: 'cmd-1', Comment: 'efsync run-1', Status: 'Failed' },
          { CommandId: 'cmd-2', Comment: 'efsync run-2', Status: 'InProgress' },
        ],
      }),
      ...staged([]),
    });
    const { lines, reporter } = recorder();
    const forgotten: string[] = [];
    await teardown(clients, RECORD, reporter, (key) => forgotten.push(key));
    expect(names(sent)).not.toContain('ec2:TerminateInstances');
    expect(sent.find((s) => s.command === 'ListCommandInvocations')?.input).toEqual({
      InstanceId: 'i-0abc',
      MaxResults: 50,
    });
    expect(forgotten).toEqual(['instanceId']);
    expect(lines[0]).toBe(
      'info: Left i-0abc running: another run is using it (command cmd-2 (efsync run-2) is InProgress on it). ' +
        'Its dead-man switch ends it once no run needs it.',
    );
  });

  it('cancels the command, terminates the instance and the run, then deletes the staged run', async () => {
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: instances('running', ['i-0stray']),
      TerminateInstances: () => ({}),
      ...staged(['efsync/runs/run-1/job.json', 'efsync/runs/run-1/part-0001.tar']),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, RECORD, reporter);
    expect(names(sent)).toEqual(EVERY_STEP);
    expect(sent[0]?.input).toEqual({ CommandId: 'cmd-1' });
    expect(sent[1]?.input).toEqual({ InstanceIds: ['i-0abc'] });
    expect(sent[2]?.input).toEqual({ InstanceIds: ['i-0abc'] });
    expect(sent[4]?.input).toEqual({
      Filters: [
        { Name: 'tag:efsync:run-id', Values: ['run-1'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
      MaxResults: 1000,
    });
    expect(sent[5]?.input).toEqual({ InstanceIds: ['i-0stray'] });
    expect(sent[8]?.input).toMatchObject({
      Bucket: 'efsync-staging',
      Delete: { Objects: [{ Key: 'efsync/runs/run-1/job.json' }, { Key: 'efsync/runs/run-1/part-0001.tar' }] },
    });
    expect(lines).toEqual([
      'info: Terminated i-0abc.',
      'info: Terminated i-0stray.',
      'info: Deleted 2 staged object(s) of efsync/runs/run-1/.',
    ]);
  });

  it('terminates by id an instance DescribeInstances does not list, and calls it gone when EC2 does not know it', async () => {
    // EC2 is eventually consistent: a just-launched instance may not be listed yet, so absent is no proof it is gone.
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: instances('absent'),
      TerminateInstances: () => {
        throw awsError('InvalidInstanceID.NotFound', 'The instance ID does not exist');
      },
      ...staged([]),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, RECORD, reporter);
    expect(sent.filter((c) => c.command === 'TerminateInstances').map((c) => c.input)).toEqual([
      { InstanceIds: ['i-0abc'] },
    ]);
    expect(lines).toEqual(['info: i-0abc is already gone.', 'info: No staged objects were left.']);
  });

  it.each(['terminated', 'shutting-down'])('does not terminate an instance that is %s again', async (state) => {
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: instances(state),
      TerminateInstances: () => ({}),
      ...staged([]),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, RECORD, reporter);
    expect(names(sent).filter((n) => n === 'ec2:TerminateInstances')).toEqual([]);
    expect(lines).toEqual(['info: i-0abc is already gone.', 'info: No staged objects were left.']);
  });

  it('is idempotent: a second teardown finds everything gone and changes nothing', async () => {
    let terminated = false;
    let objects = ['efsync/runs/run-1/job.json'];
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: (input) => instances(terminated ? 'terminated' : 'running')(input),
      TerminateInstances: () => {
        terminated = true;
        return {};
      },
      ListMultipartUploads: () => ({ Uploads: [] }),
      ListObjectsV2: () => ({ Contents: objects.map((Key) => ({ Key })) }),
      DeleteObjects: () => {
        objects = [];
        return {};
      },
    });
    const first = recorder();
    await teardown(clients, RECORD, first.reporter);
    const second = recorder();
    sent.length = 0;
    await teardown(clients, RECORD, second.reporter);
    expect(names(sent)).not.toContain('ec2:TerminateInstances');
    expect(names(sent)).not.toContain('s3:DeleteObjects');
    expect(second.lines).toEqual(['info: i-0abc is already gone.', 'info: No staged objects were left.']);
  });

  it('only does what the record names', async () => {
    const { clients, sent } = fakeClients({ DescribeInstances: instances('running', []) });
    const { lines, reporter } = recorder();
    await teardown(clients, { runId: 'run-1' }, reporter);
    expect(names(sent)).toEqual(['ec2:DescribeInstances']);
    expect(lines).toEqual([]);

    const nothing = fakeClients({});
    await teardown(nothing.clients, {}, reporter);
    expect(nothing.sent).toEqual([]);
    // A bucket without the run's prefix (or the other way round) deletes nothing.
    await teardown(nothing.clients, { stagingBucket: 'efsync-staging' }, reporter);
    await teardown(nothing.clients, { runPrefix: 'efsync/runs/run-1/' }, reporter);
    expect(nothing.sent).toEqual([]);
  });

  it('leaves the instance the run put back warm, though it carries the run id', async () => {
    const { clients, sent } = fakeClients({ DescribeInstances: instances('running', ['i-0warm']) });
    const { lines, reporter } = recorder();
    await teardown(clients, { runId: 'run-1', warmInstanceId: 'i-0warm' }, reporter);
    expect(names(sent)).toEqual(['ec2:DescribeInstances']);
    expect(lines).toEqual([]);
  });

  it('ignores a command that cannot be cancelled any more', async () => {
    const { clients, sent } = fakeClients({
      CancelCommand: () => {
        throw awsError('InvalidCommandId', 'The command is done');
      },
      DescribeInstances: instances('terminated'),
      ...staged([]),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, RECORD, reporter);
    expect(names(sent)[0]).toBe('ssm:CancelCommand');
    expect(lines).toEqual(['info: i-0abc is already gone.', 'info: No staged objects were left.']);
  });

  it('warns of a step that fails and still runs the next ones', async () => {
    const { clients, sent } = fakeClients({
      CancelCommand: () => ({}),
      DescribeInstances: instances('running', ['i-0stray']),
      TerminateInstances: (input) => {
        if ((input.InstanceIds as string[])[0] === 'i-0abc')
          throw Object.assign(awsError('UnauthorizedOperation', 'You are not authorized'), {
            $efsyncAction: 'ec2:TerminateInstances',
          });
        return {};
      },
      ...staged(['efsync/runs/run-1/job.json']),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, RECORD, reporter);
    expect(lines).toEqual([
      "warning: Terminate the instance failed: ec2:TerminateInstances was denied (UnauthorizedOperation: You are not authorized). Allow ec2:TerminateInstances in the role's policy (docs/iam-policy.json has them all).",
      'info: Terminated i-0stray.',
      'info: Deleted 1 staged object(s) of efsync/runs/run-1/.',
    ]);
    // The run's instances are still looked for by tag after the known one could not be terminated.
    expect(names(sent)).toEqual(EVERY_STEP);
  });

  it("warns when the run's instances cannot be looked for, and still deletes the staged run", async () => {
    const { clients } = fakeClients({
      DescribeInstances: (input) => {
        if (input.Filters) throw awsError('RequestLimitExceeded', 'Request limit exceeded.');
        return instances('running')(input);
      },
      TerminateInstances: () => ({}),
      ...staged(['efsync/runs/run-1/job.json']),
    });
    const { lines, reporter } = recorder();
    await teardown(clients, WITHOUT_COMMAND, reporter);
    expect(lines).toEqual([
      'info: Terminated i-0abc.',
      "warning: Terminate the run's instances failed: Request limit exceeded.",
      'info: Deleted 1 staged object(s) of efsync/runs/run-1/.',
    ]);
  });

  it('warns when the staged run cannot be deleted, after the instance is gone', async () => {
    const { clients } = fakeClients({
      DescribeInstances: instances('running'),
      TerminateInstances: () => ({}),
      ListMultipartUploads: () => {
        throw awsError('AccessDenied', 'Access Denied');
      },
    });
    const { lines, reporter } = recorder();
    await teardown(clients, WITHOUT_COMMAND, reporter);
    expect(lines).toEqual(['info: Terminated i-0abc.', 'warning: Delete the staged run failed: Access Denied']);
  });
});
