// The remote phase's output, live, on the test bed's default, which is AWS's: SSM shows a command's output only once
// the command has ended (GetCommandInvocation, StandardOutputContent: "If the command hasn't finished running, if
// ExecutionStatus is neither Succeeded nor Failed, then this string is empty"; botocore's ssm service-2.json). The
// agent's progress must still reach the runner's log while the command runs. No switch that shows output early is on.
import { randomBytes } from 'node:crypto';
import { GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { AWS_MODEL } from '../../testbed/latency.ts';
import { clients } from '../support/local-aws.ts';
import { startBundle } from '../support/run-action.ts';
import { actionSetup, leftovers, makeWorkspace, runPost } from './support.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
});
afterAll(async () => {
  await aws?.stop();
});

/** The agent's own timestamp at the start of a line it printed. */
const agentTime = (line: string) => Date.parse(line.slice(0, 20));

describe('live output of the remote phase', () => {
  it('prints agent progress while the command runs, at most 5 s apart, and ends with the agent result', async () => {
    expect((await aws.settings({})).partialOutput).toBe(false);
    // S3 throttled to 1 MiB/s: a 12 MiB part takes the agent over 10 s to download.
    await aws.settings({
      latency: {
        ...AWS_MODEL,
        runningAfterMs: 0,
        onlineAfterRunningMs: 0,
        apiMs: 0,
        s3FirstByteMs: 0,
        s3MiBps: 1,
        s3TotalMiBps: 4,
      },
    });
    const workspace = makeWorkspace({ 'models/weights.bin': randomBytes(12 * 1024 * 1024) });
    const setup = actionSetup(aws, workspace, { 'local-dir': 'models' });
    const step = startBundle('main', setup.inputs, setup.env);
    const arrivals: { at: number; line: string }[] = [];
    let pending = '';
    step.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) arrivals.push({ at: Date.now(), line });
    });
    const main = await step.done;
    expect(main.status, main.stdout.slice(-3000)).toBe(0);

    const commandId = /Sent command (\S+) to (\S+);/.exec(main.stdout);
    const invocation = await clients(aws).ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId?.[1], InstanceId: commandId?.[2] }),
    );
    const ended = Date.parse(invocation.ExecutionEndDateTime ?? '');
    expect(Number.isFinite(ended)).toBe(true);
    const started = Date.parse(invocation.ExecutionStartDateTime ?? '');
    expect(ended - started).toBeGreaterThanOrEqual(10_000);

    const progress = arrivals.filter((a) => / progress: .+ of .+, .+\/s, about \d+ s left$/.test(a.line));
    const early = progress.filter((a) => a.at < ended);
    const table = progress.map(
      (a) => `${new Date(a.at).toISOString()} (${a.at < ended ? 'before' : 'after'} the end) ${a.line}`,
    );
    process.stdout.write(
      `\nCommand ran ${new Date(started).toISOString()} to ${new Date(ended).toISOString()}:\n${table.join('\n')}\n`,
    );
    // Printed while the command ran, as the runner received them.
    expect(early.length, table.join('\n')).toBeGreaterThanOrEqual(2);
    // At most 5 s apart by the agent's clock (whole seconds), during the transfer.
    const gaps = progress.slice(1).map((a, i) => agentTime(a.line) - agentTime(progress[i]?.line ?? ''));
    expect(Math.max(...gaps), table.join('\n')).toBeLessThanOrEqual(5_000);

    // Each agent line once (the live tail and the end do not repeat it), in order, ending with the result.
    const agentLines = main.stdout.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(line));
    expect(new Set(agentLines).size).toBe(agentLines.length);
    expect(agentLines.filter((line) => line.endsWith(' took the file system lock'))).toHaveLength(1);
    // The agent's last lines: it unmounts, then reports its own peak memory.
    expect(agentLines.at(-2)).toMatch(/ unmounted \/mnt\/efsync\/fs$/);
    expect(agentLines.at(-1)).toMatch(/ peak memory of the agent: [\d.]+ MiB$/);
    expect(agentLines.some((line) => / "\/mnt\/efsync\/fs\/models" now serves release \S+$/.test(line))).toBe(true);

    await runPost(setup.env, main);
    expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
  }, 180_000);
});
