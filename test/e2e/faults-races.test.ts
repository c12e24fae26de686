// AWS's races and statuses, as AWS documents them, each reproduced by the test bed and met by the action: the
// instance profile not yet usable by EC2, an instance going from pending straight to terminated, SSM refusing a
// command to an instance just Online, a command Cancelling before it is Cancelled, and DescribeInstances not yet
// listing a launched instance when the post step cleans up.
import fs from 'node:fs';
import path from 'node:path';
import { CancelCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { clients } from '../support/local-aws.ts';
import { startBundle } from '../support/run-action.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { actionSetup, makeWorkspace, runAction, runPost } from './support.ts';

let aws: LocalAws;
let workspace: string;
let baseline: Served;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  const first = await runAction(aws, workspace, INPUTS);
  expect(first.status, first.stdout.slice(-3000)).toBe(0);
  baseline = served(aws, 'models');
}, 120_000);
afterAll(async () => {
  printTable();
  await aws?.stop();
});

/** A change to publish, so that every run has work to do. */
function edit(): void {
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

async function publishWith(fault: Parameters<LocalAws['fault']>[0]) {
  await aws.reset();
  await aws.fault(fault);
  edit();
  return await runAction(aws, workspace, INPUTS);
}

describe('AWS races', () => {
  it('RunInstances refuses a new instance profile until IAM has propagated it: retried, then published', async () => {
    // "Invalid IAM Instance Profile name": IAM changes are eventually consistent (IAM User Guide, Troubleshooting).
    const step = await publishWith({
      operation: 'RunInstances',
      code: 'InvalidParameterValue',
      status: 400,
      message:
        'Value (efsync-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
      nth: 1,
      times: 1,
    });
    expect(record('races', 'instance profile not yet propagated', 'published', step)).toBe('published');
    expect(step.stdout).toContain('EC2 cannot use the instance profile yet (InvalidParameterValue)');
    await expectClean(aws, [step, step.post], 'models');
    // What a later failed run must leave served.
    baseline = served(aws, 'models');
  }, 120_000);

  it('an instance goes from pending straight to terminated (KMS key): one error with its StateReason and the fix', async () => {
    // "Instance terminates immediately: Your instance goes from the pending state to the terminated state", e.g. when
    // the root volume is encrypted with a KMS key the role cannot use; EC2 then gives the StateReason
    // Client.InternalError, "Client.InternalError: Client error on launch" (EC2 User Guide, Troubleshoot Amazon EC2
    // instance launch issues, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html
    // #troubleshooting-launch-internal; the codes: API_StateReason in the EC2 API reference).
    await aws.reset();
    await aws.launchFault();
    edit();
    const step = await runAction(aws, workspace, INPUTS);
    const observed = record(
      'races',
      'instance pending → terminated (KMS key)',
      'failed: never ran, with its StateReason',
      step,
    );
    expect(observed).toMatch(
      /^failed \(exit \d+, 1 error\): Instance i-\w+ never ran: it is terminated, with state reason/,
    );
    const error = step.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? '';
    expect(error).toContain('Client.InternalError ("Client.InternalError: Client error on launch")');
    expect(error).toContain('aws ec2 get-ebs-default-kms-key-id');
    expect(error).toContain('kms:CreateGrant');
    await expectClean(aws, [step, step.post], 'models', baseline);
  }, 120_000);

  it('SendCommand answers InvalidInstanceId just after Online: retried, then published', async () => {
    // SendCommand's InvalidInstanceId: "the instance is not in a valid state" (SSM API reference, SendCommand errors).
    const step = await publishWith({
      operation: 'SendCommand',
      code: 'InvalidInstanceId',
      status: 400,
      nth: 1,
      times: 1,
    });
    expect(record('races', 'SendCommand before SSM settles', 'published', step)).toBe('published');
    expect(step.stdout).toContain('SSM does not take commands for');
    await expectClean(aws, [step, step.post], 'models');
    // What a later failed run must leave served.
    baseline = served(aws, 'models');
  }, 120_000);

  it('a command cancelled from outside is Cancelling before Cancelled: the run waits for the end', async () => {
    // CommandInvocationStatus lists Cancelling beside the running statuses (botocore's ssm service-2.json).
    await aws.reset();
    await aws.commandFault({ action: 'hang' });
    edit();
    const setup = actionSetup(aws, workspace, INPUTS);
    const running = startBundle('main', setup.inputs, setup.env);
    let stdout = '';
    running.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    await running.waitFor(/Sent command \S+ to/);
    const commandId = /Sent command (\S+) to/.exec(stdout)?.[1] ?? '';
    await clients(aws).ssm.send(new CancelCommandCommand({ CommandId: commandId }));
    const main = await running.done;
    const post = await runPost(setup.env, main);
    const observed = record('races', 'command Cancelling, then Cancelled', 'failed: ended with Cancelled', main);
    expect(observed).toContain('The agent ended with Cancelled');
    await expectClean(aws, [main, post], 'models', baseline);
  }, 120_000);

  it('the post step terminates by id an instance DescribeInstances does not list yet', async () => {
    // "Eventual consistency in the Amazon EC2 API" (EC2 API reference): a just-launched instance may be unknown to
    // Describe calls for a while. The main step dies by SIGKILL; its post step must still terminate the instance.
    await aws.reset();
    await aws.commandFault({ action: 'hang' });
    edit();
    const setup = actionSetup(aws, workspace, INPUTS);
    const running = startBundle('main', setup.inputs, setup.env);
    await running.waitFor(/Sent command \S+ to/);
    running.child.kill('SIGKILL');
    const main = await running.done;
    await aws.fault({
      operation: 'DescribeInstances',
      code: 'InvalidInstanceID.NotFound',
      status: 400,
      nth: 1,
      times: 20,
    });
    const post = await runPost(setup.env, main);
    await aws.reset();
    const observed = record('races', 'instance not yet listed at cleanup', 'post terminates it by id', post);
    expect(post.stdout).toMatch(/Terminated i-\w+\./);
    expect(observed).toBe('no change');
    await expectClean(aws, [main, post], 'models', baseline);
  }, 120_000);
});
