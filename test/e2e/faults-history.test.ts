// What stays in SSM's command history: SendCommand's parameters are kept, readable to anyone allowed
// ssm:ListCommands ("Run Command stores the command history for 30 days", Amazon EC2 User Guide, "Manage Amazon EC2
// Instances Remotely", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/execute-remote-commands.html; ListCommands
// returns each command's Parameters, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_Command.html).
// Every URL in every command the action sent must be valid for at most 15 minutes from when it was sent; and a result
// that is not the run's own (a forged result line) fails the run with one clear error.

import fs from 'node:fs';
import path from 'node:path';
import { type Command, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../support/local-aws.ts';
import { expectClean, printTable, record, rows, type Served, served } from './fault-harness.ts';
import { type Lanes, startLanes } from './lanes.ts';
import { makeWorkspace, runAction, saveRequestLog } from './support.ts';

interface Lane {
  aws: import('../../testbed/client.ts').LocalAws;
  workspace: string;
  baseline: Served;
}

let lanes: Lanes<Lane>;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };
const MAX_SECONDS = 900;

beforeAll(async () => {
  lanes = await startLanes(1, ['--online-delay-ms', '300'], async (aws) => {
    const workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
    const first = await runAction(aws, workspace, INPUTS);
    expect(first.status, first.stdout.slice(-3000)).toBe(0);
    return { aws, workspace, baseline: served(aws, 'models') };
  });
}, 120_000);
afterAll(async () => {
  printTable();
  for (const [i, lane] of (lanes?.all ?? []).entries()) await saveRequestLog(lane.aws, `faults-history-${i + 1}`);
  await lanes?.stop();
});

function edit(lane: Lane): void {
  fs.writeFileSync(path.join(lane.workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

async function listCommands(lane: Lane): Promise<Command[]> {
  const { ssm } = clients(lane.aws);
  const all: Command[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new ListCommandsCommand({ MaxResults: 50, ...(token && { NextToken: token }) }));
    all.push(...(page.Commands ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/** Each URL in a command's text, with how long it is valid and how far its signing time is from the send time. */
function urlsOf(command: Command): { expires: number; signedAfterSendSeconds: number }[] {
  const text = Object.values(command.Parameters ?? {})
    .flat()
    .join('\n');
  const sent = command.RequestedDateTime?.getTime() ?? Number.NaN;
  return [...text.matchAll(/https?:\/\/[^'\s]+/g)].map(([raw]) => {
    const url = new URL(raw);
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const signed = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    return {
      expires: Number(url.searchParams.get('X-Amz-Expires') ?? Number.POSITIVE_INFINITY),
      signedAfterSendSeconds: (signed - sent) / 1000,
    };
  });
}

describe('SSM command history', { timeout: 180_000 }, () => {
  it('every SendCommand holds no URL valid for more than 15 minutes, signed right before it was sent', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      edit(lane);
      // SSM does not know the instance at first: the action sends again, with a URL signed again.
      await aws.fault({ service: 'ssm', operation: 'SendCommand', code: 'InvalidInstanceId', status: 400, times: 2 });
      const step = await runAction(aws, lane.workspace, INPUTS);
      expect(step.status, step.stdout.slice(-3000)).toBe(0);
      const commands = await listCommands(lane);
      expect(commands.length).toBeGreaterThanOrEqual(2);
      const urls = commands.flatMap(urlsOf);
      expect(urls.length).toBe(commands.length);
      const worst = Math.max(...urls.map((u) => u.expires));
      const skew = Math.max(...urls.map((u) => Math.abs(u.signedAfterSendSeconds)));
      const observed = `${commands.length} commands, ${urls.length} URLs, longest X-Amz-Expires ${worst} s, signed within ${skew.toFixed(0)} s of sending`;
      rows.push({
        group: '5',
        name: 'URLs in SSM command history',
        expected: `X-Amz-Expires <= ${MAX_SECONDS}`,
        observed,
      });
      expect(worst).toBeLessThanOrEqual(MAX_SECONDS);
      // Signed before the send (at most the send's own latency after) and not long before it: within a minute.
      for (const u of urls) expect(u.signedAfterSendSeconds).toBeGreaterThan(-60);
      for (const u of urls) expect(u.signedAfterSendSeconds).toBeLessThan(5);
      expect(step.stdout).toContain('InvalidInstanceId');
      await expectClean(aws, [step, step.post], 'models');
      lane.baseline = served(aws, 'models');
    }));

  it('a forged result (another run, another job) fails the run with one clear error', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      edit(lane);
      const forged = {
        version: 1,
        runId: 'someone-else',
        jobSha256: '0'.repeat(64),
        status: 'ok',
        targets: [],
        seconds: 1,
      };
      // The command's text replaced by one that prints a result line and exits 0, without running the agent.
      await aws.commandFault({
        action: 'fail',
        exitCode: 0,
        stdout: `EFSYNC_RESULT ${JSON.stringify(forged)}`,
        stderr: '',
      });
      const expected = "The agent's result is not from this run's job";
      const step = await runAction(aws, lane.workspace, INPUTS, { debug: true });
      const observed = record('5', 'forged result.json', `failed: ${expected}`, step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      expect(observed).toContain(expected);
      await expectClean(aws, [step, step.post], 'models', lane.baseline);
    }));
});
