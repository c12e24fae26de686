// Instance faults and cancellation: whatever happens to the instance, the command or the runner, no instance is left,
// no staged objects remain, and the target keeps serving its previous release byte for byte.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunHooks } from '../../src/index.js';
import type { LocalAws } from '../../testbed/client.ts';
import type { Disk } from '../../testbed/disk.ts';
import { findPython39 } from '../../testbed/sandbox.ts';
import { sha256 } from '../support/hash.ts';
import { parseCommandFile, startBundle } from '../support/run-action.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { type Lanes, startLanes } from './lanes.ts';
import { actionSetup, makeWorkspace, runAction, runApi, runPost, saveRequestLog } from './support.ts';

/** A test bed with a workspace published once: what a failed run must leave served. */
interface Lane {
  aws: LocalAws;
  workspace: string;
  baseline: Served;
  /** The test bed's EFS directory of the file system. */
  efs: (...parts: string[]) => string;
  /** What the last edit wrote to models/a.txt. */
  edited: string;
}

let lanes: Lanes<Lane>;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  lanes = await startLanes(3, ['--online-delay-ms', '300'], async (aws) => {
    const workspace = makeWorkspace({ 'models/a.txt': 'first\n', 'models/b/c.bin': 'c'.repeat(3000) });
    const first = await runAction(aws, workspace, INPUTS);
    expect(first.status, first.stdout.slice(-3000)).toBe(0);
    const efs = (...parts: string[]) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, ...parts);
    return { aws, workspace, baseline: served(aws, 'models'), efs, edited: 'first\n' };
  });
}, 120_000);
afterAll(async () => {
  printTable();
  for (const [i, lane] of (lanes?.all ?? []).entries()) await saveRequestLog(lane.aws, `faults-instance-${i + 1}`);
  await lanes?.stop();
});

function edit(lane: Lane): void {
  lane.edited = `edit ${++edits}\n`;
  fs.writeFileSync(path.join(lane.workspace, 'models/a.txt'), lane.edited);
}

async function failingRun(lane: Lane, group: string, name: string, expected: string) {
  edit(lane);
  const step = await runAction(lane.aws, lane.workspace, INPUTS, { debug: true });
  const observed = record(group, name, `failed: ${expected}`, step);
  expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
  expect(observed).toContain(expected);
  await expectClean(lane.aws, [step, step.post], 'models', lane.baseline);
  return step;
}

/**
 * The same through the published module (dist/api), with short waits: the action's floors (60 s for Online, 30 s
 * for the lock) would be minutes of sleep here, and a program sets them with RunHooks.waits. The library cleans up
 * after itself, so there is no post step.
 */
async function failingApiRun(lane: Lane, group: string, name: string, expected: string, waits: RunHooks['waits']) {
  edit(lane);
  const step = await runApi(lane.aws, lane.workspace, INPUTS, waits, { debug: true });
  const observed = record(group, name, `failed: ${expected}`, step);
  expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
  expect(observed).toContain(expected);
  await expectClean(lane.aws, [step], 'models', lane.baseline);
  return step;
}

// Each case has a test bed to itself while it runs (lanes.ts), so the cases run side by side.
describe('instance faults', { timeout: 180_000, concurrent: true }, () => {
  it('the instance never comes Online: a timeout that lists the likely causes', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      // Instances launched from now on would take ten minutes to reach SSM: far past the run's wait.
      await aws.settings({ onlineDelayMs: 10 * 60_000 });
      try {
        const step = await failingApiRun(lane, '2', 'never Online', 'never came Online in SSM within 5 s', {
          onlineSeconds: 5,
        });
        expect(step.errors[0]).toContain('AmazonSSMManagedInstanceCore');
        expect(step.errors[0]).toContain('ssmmessages');
      } finally {
        await aws.settings({ onlineDelayMs: 300 });
      }
    }));

  it('the instance is terminated mid-command', () =>
    lanes.use(async (lane) => {
      await lane.aws.reset();
      await lane.aws.commandFault({ action: 'terminate-instance', when: 'building release' });
      await failingRun(lane, '2', 'terminated mid-command', 'terminated mid-command');
    }));

  it('the command fails at the mount', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      await aws.control('POST', `/file-systems/${aws.info.fileSystemId}/unreachable`);
      try {
        await failingRun(lane, '2', 'mount fails', 'cannot mount');
      } finally {
        await aws.control('DELETE', `/file-systems/${aws.info.fileSystemId}/unreachable`);
      }
    }));

  it('the command fails at the download', () =>
    lanes.use(async (lane) => {
      await lane.aws.reset();
      // Every presigned GET of the staged part fails; the job and the agent themselves download fine.
      await lane.aws.fault({
        service: 's3',
        operation: 'GetObject',
        pathContains: '/part-0001.tar',
        status: 503,
        times: 1000,
      });
      await failingRun(lane, '2', 'download fails', 'part-0001.tar');
    }));

  it('the command cannot take the file system lock', () =>
    lanes.use(async (lane) => {
      await lane.aws.reset();
      const python = findPython39();
      const holder = spawn(
        python,
        [
          '-c',
          'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.lockf(f, fcntl.LOCK_EX); print("held", flush=True); time.sleep(600)',
          lane.efs('.efsync.lock'),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
      try {
        await failingApiRun(
          lane,
          '2',
          'lock held by another run',
          'timed out after 5s waiting for the file system lock',
          {
            lockSeconds: 5,
          },
        );
      } finally {
        holder.kill('SIGKILL');
      }
    }));

  it('the command fails at the switch', () =>
    lanes.use(async (lane) => {
      await lane.aws.reset();
      // The file system's root refuses new names (an immutable folder, chattr(1) +i: "no link can be created to
      // this file", rename(2) and symlink(2) answer EPERM): the release is built in .models.efsync, but the new
      // symlink cannot be made beside the target, so the switch fails and the old release keeps serving.
      execFileSync('chattr', ['+i', lane.efs()]);
      try {
        await failingRun(lane, '2', 'switch fails', '.models.efsync.next');
      } finally {
        execFileSync('chattr', ['-i', lane.efs()]);
      }
    }));

  it('the command hangs past its timeout', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      await aws.commandFault({ action: 'hang' });
      // The test bed's fast clock for executionTimeout: the command times out after 3 s, not the run's minutes.
      await aws.settings({ executionTimeoutCapSeconds: 3 });
      try {
        await failingRun(lane, '2', 'command hangs past its timeout', 'ExecutionTimedOut');
      } finally {
        await aws.settings({ executionTimeoutCapSeconds: 0 });
      }
    }));

  it('the agent is killed (kill -9) after writing files, before the switch; the next run recovers and publishes', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      // A large changed file keeps the agent writing for a while; it is killed as it starts, before any switch.
      fs.writeFileSync(path.join(lane.workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
      await aws.commandFault({ action: 'kill', when: 'building release' });
      await failingRun(lane, '2', 'agent killed before the switch', 'exit 137');
      const next = await runAction(aws, lane.workspace, INPUTS, { debug: true });
      expect(record('2', 'the next run after the kill', 'published', next)).toBe('published');
      await expectClean(aws, [next, next.post], 'models');
      expect(served(aws, 'models').files['a.txt']).toBe(sha256(lane.edited));
      // The release the killed agent left unfinished is gone.
      expect(fs.readdirSync(lane.efs('.models.efsync')).filter((name) => name.startsWith('.tmp'))).toEqual([]);
      lane.baseline = served(aws, 'models');
    }));
});

describe('the instance disk', { timeout: 180_000, concurrent: true }, () => {
  it('staged bytes above the default volume: the root volume is sized for them, and the publish succeeds', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      edit(lane);
      // Three files of 20 MiB, a part each, all downloading at once: 60 MiB, more than an instance with the image's
      // own root volume has free in the test bed (rootFreeBytes, 32 MiB; testbed/disk.ts). Without a root
      // volume sized for them the agent fails with no space left (testbed/disk.test.ts shows the bound,
      // test/agent/scratch.test.ts the agent's error).
      for (const i of [1, 2, 3])
        fs.writeFileSync(path.join(lane.workspace, `models/big-${i}.bin`), crypto.randomBytes(20 * 1024 * 1024));
      const step = await runAction(aws, lane.workspace, INPUTS, { debug: true });
      expect(record('2', 'staged bytes above the default volume', 'published', step), step.stdout.slice(-3000)).toBe(
        'published',
      );
      lane.baseline = served(aws, 'models'); // what the next cases on this lane must leave served
      await expectClean(aws, [step, step.post], 'models');
      expect(lane.baseline.files['big-2.bin']).toBe(
        sha256(fs.readFileSync(path.join(lane.workspace, 'models/big-2.bin'))),
      );
      const disk = await aws.control<Disk>('GET', `/instances/${step.outputs['instance-id']}/disk`);
      const defaultScratch = (await aws.settings({})).rootFreeBytes;
      expect(disk.scratchBytes).toBeGreaterThan(60 * 1024 * 1024);
      expect(defaultScratch).toBeLessThan(60 * 1024 * 1024);
      // RunInstances asked for the image's root device, a GiB above its snapshot (three 20 MiB parts round up to
      // one), gp3, encrypted, deleted with the instance.
      const run = (await aws.log()).find((e) => e.operation === 'RunInstances');
      expect(run?.params).toMatchObject({
        'BlockDeviceMapping.1.DeviceName': disk.deviceName,
        'BlockDeviceMapping.1.Ebs.VolumeSize': String((disk.imageGiB ?? 0) + 1),
        'BlockDeviceMapping.1.Ebs.VolumeType': 'gp3',
        'BlockDeviceMapping.1.Ebs.Encrypted': 'true',
        'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'true',
      });
      // The agent held the three big parts at once (and a.txt's small one): all of them fitted.
      expect(step.stdout).toMatch(/staged parts on the instance's disk at once: at most [34] \(60\.\d MiB\)/);
    }));
});

describe('cancellation', { timeout: 180_000, concurrent: true }, () => {
  const PHASES: [string, string | RegExp][] = [
    ['plan', '::group::Plan'],
    ['stage', '::group::Publish'],
    ['waiting for the instance', /\[instance\] i-[0-9a-f]+ launched/],
    ['remote running', /Sent command [0-9a-f-]+ to i-/],
  ];

  for (const [phase, marker] of PHASES) {
    for (const signals of [['SIGINT'], ['SIGINT', 'SIGTERM']] as const) {
      it(`${signals.join(' then ')} during ${phase}: the post step finds nothing left, the release is intact`, () =>
        lanes.use(async (lane) => {
          const { aws } = lane;
          await aws.reset();
          edit(lane);
          const setup = actionSetup(aws, lane.workspace, INPUTS, { debug: true });
          // A large changed file keeps the agent busy long enough to be interrupted mid-write.
          if (phase === 'remote running')
            fs.writeFileSync(path.join(lane.workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, edits));
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
          await expectClean(aws, [result, post], 'models', lane.baseline);
          // What main saved is enough for the post step to check everything it might have left.
          expect(Object.keys(parseCommandFile(result.state))).toEqual(expect.arrayContaining(['started', 'region']));
        }));
    }
  }
});
