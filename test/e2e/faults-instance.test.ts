// Instance faults and cancellation: whatever happens to the instance, the command or the runner, no instance is left,
// no staged objects remain, and the target keeps serving its previous release byte for byte.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunHooks } from '../../src/index.js';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { findPython39 } from '../local-aws/sandbox.ts';
import { parseCommandFile, startBundle } from '../support/run-action.ts';
import { expectClean, printTable, record, type Served, served, sha256 } from './fault-harness.ts';
import { actionSetup, makeWorkspace, runAction, runApi, runPost, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let baseline: Served;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };
const efs = (...parts: string[]) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, ...parts);

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n', 'models/b/c.bin': 'c'.repeat(3000) });
  const first = await runAction(aws, workspace, INPUTS);
  expect(first.status, first.stdout.slice(-3000)).toBe(0);
  baseline = served(aws, 'models');
}, 120_000);
afterAll(async () => {
  printTable();
  await saveRequestLog(aws, 'faults-instance');
  await aws?.stop();
});

function edit(): void {
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

async function failingRun(group: string, name: string, expected: string, inputs: Record<string, string> = {}) {
  edit();
  const step = await runAction(aws, workspace, { ...INPUTS, ...inputs }, { debug: true });
  const observed = record(group, name, `failed: ${expected}`, step);
  expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
  expect(observed).toContain(expected);
  await expectClean(aws, [step, step.post], 'models', baseline);
  return step;
}

/**
 * The same through the published module (dist/api), with short waits: the action's floors (60 s for Online, 30 s
 * for the lock) would be minutes of sleep here, and a program sets them with RunHooks.waits. The library cleans up
 * after itself, so there is no post step.
 */
async function failingApiRun(group: string, name: string, expected: string, waits: RunHooks['waits']) {
  edit();
  const step = await runApi(aws, workspace, INPUTS, waits, { debug: true });
  const observed = record(group, name, `failed: ${expected}`, step);
  expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
  expect(observed).toContain(expected);
  await expectClean(aws, [step], 'models', baseline);
  return step;
}

describe('instance faults', { timeout: 180_000 }, () => {
  it('the instance never comes Online: a timeout that lists the likely causes', async () => {
    await aws.reset();
    // Instances launched from now on would take ten minutes to reach SSM: far past the run's wait.
    await aws.settings({ onlineDelayMs: 10 * 60_000 });
    try {
      const step = await failingApiRun('2', 'never Online', 'never came Online in SSM within 5 s', {
        onlineSeconds: 5,
      });
      expect(step.errors[0]).toContain('AmazonSSMManagedInstanceCore');
      expect(step.errors[0]).toContain('ssmmessages');
    } finally {
      await aws.settings({ onlineDelayMs: 300 });
    }
  });

  it('the instance is terminated mid-command', async () => {
    await aws.reset();
    await aws.commandFault({ action: 'terminate-instance', when: 'building release' });
    await failingRun('2', 'terminated mid-command', 'terminated mid-command');
  });

  it('the command fails at the mount', async () => {
    await aws.reset();
    await aws.control('POST', `/file-systems/${aws.info.fileSystemId}/unreachable`);
    try {
      await failingRun('2', 'mount fails', 'cannot mount');
    } finally {
      await aws.control('DELETE', `/file-systems/${aws.info.fileSystemId}/unreachable`);
    }
  });

  it('the command fails at the download', async () => {
    await aws.reset();
    // Every presigned GET of the staged part fails; the job and the agent themselves download fine.
    await aws.fault({
      service: 's3',
      operation: 'GetObject',
      pathContains: '/part-0001.tar',
      status: 503,
      times: 1000,
    });
    await failingRun('2', 'download fails', 'part-0001.tar');
  });

  it('the command cannot take the file system lock', async () => {
    await aws.reset();
    const python = findPython39();
    const holder = spawn(
      python,
      [
        '-c',
        'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.lockf(f, fcntl.LOCK_EX); print("held", flush=True); time.sleep(600)',
        efs('.efsync.lock'),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    try {
      await failingApiRun('2', 'lock held by another run', 'timed out after 5s waiting for the file system lock', {
        lockSeconds: 5,
      });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('the command fails at the switch', async () => {
    await aws.reset();
    // Something in the way of the new symlink: the switch cannot happen, so the old release keeps serving.
    fs.mkdirSync(efs('.models.efsync.next', 'blocker'), { recursive: true });
    try {
      await failingRun('2', 'switch fails', 'models');
    } finally {
      fs.rmSync(efs('.models.efsync.next'), { recursive: true, force: true });
    }
  });

  it('the command hangs past its timeout', async () => {
    await aws.reset();
    await aws.commandFault({ action: 'hang' });
    // The test bed's fast clock for executionTimeout: the command times out after 3 s, not the run's minutes.
    await aws.settings({ executionTimeoutCapSeconds: 3 });
    try {
      await failingRun('2', 'command hangs past its timeout', 'ExecutionTimedOut');
    } finally {
      await aws.settings({ executionTimeoutCapSeconds: 0 });
    }
  });

  it('the agent is killed (kill -9) after writing files, before the switch; the next run recovers and publishes', async () => {
    await aws.reset();
    // A large changed file keeps the agent writing for a while; it is killed as it starts, before any switch.
    fs.writeFileSync(path.join(workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
    await aws.commandFault({ action: 'kill', when: 'building release' });
    await failingRun('2', 'agent killed before the switch', 'exit 137');
    const next = await runAction(aws, workspace, INPUTS, { debug: true });
    expect(record('2', 'the next run after the kill', 'published', next)).toBe('published');
    await expectClean(aws, [next, next.post], 'models');
    expect(served(aws, 'models').files['a.txt']).toBe(sha256(`edit ${edits}\n`));
    // The release the killed agent left unfinished is gone.
    expect(fs.readdirSync(efs('.models.efsync')).filter((name) => name.startsWith('.tmp'))).toEqual([]);
    baseline = served(aws, 'models');
  });
});

describe('cancellation', { timeout: 180_000 }, () => {
  const PHASES: [string, string | RegExp][] = [
    ['plan', '::group::Plan'],
    ['stage', '::group::Publish'],
    ['waiting for the instance', /\[instance\] i-[0-9a-f]+ launched/],
    ['remote running', /Sent command [0-9a-f-]+ to i-/],
  ];

  for (const [phase, marker] of PHASES) {
    for (const signals of [['SIGINT'], ['SIGINT', 'SIGTERM']] as const) {
      it(`${signals.join(' then ')} during ${phase}: the post step finds nothing left, the release is intact`, async () => {
        await aws.reset();
        edit();
        const setup = actionSetup(aws, workspace, INPUTS, { debug: true });
        // A large changed file keeps the agent busy long enough to be interrupted mid-write.
        if (phase === 'remote running')
          fs.writeFileSync(path.join(workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, edits));
        const main = startBundle('main', setup.inputs, setup.env);
        await main.waitFor(marker, 90_000);
        main.child.kill(signals[0]);
        if (signals[1]) setTimeout(() => main.child.kill(signals[1]), 300);
        const result = await main.done;
        const post = await runPost(setup.env, result);
        const observed = record('3', `${signals.join('+')} during ${phase}`, 'cancelled (exit 130)', result);
        expect(result.status).toBe(130);
        expect(observed).toContain('exit 130');
        expect(result.stdout).toContain(`Received SIGINT: cleaning up before exiting.`);
        expect(post.status).toBe(0);
        await expectClean(aws, [result, post], 'models', baseline);
        // What main saved is enough for the post step to check everything it might have left.
        expect(Object.keys(parseCommandFile(result.state))).toEqual(expect.arrayContaining(['started', 'region']));
      });
    }
  }
});
