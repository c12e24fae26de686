// Warm and borrowed instances (keep-warm, instance-id): a second run reuses the warm instance with no RunInstances; a
// warm instance terminated just before the send makes the run launch one; two runs at once share the warm instance,
// one after the other on the file system's lock; an instance of the user's own is used and left as it was; sweep ends
// a warm instance whose warm-until has passed; SIGINT on a warm instance terminates it. The warm path's promises: a
// warm instance whose root volume is too small for the run is not reused (a new one is launched, the log says why);
// after a reuse the switch fires a minute after warm-until, not at the run's deadline; a reboot does not lose it; a
// failed run leaves the warm instance to the run still at work on it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { CreateTagsCommand, DescribeInstancesCommand, RebootInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { clients, launchOwn, motoClients, waitDone } from '../support/local-aws.ts';
import { parseCommandFile, startBundle } from '../support/run-action.ts';
import { printTable, record, rows } from './fault-harness.ts';
import { actionSetup, leftovers, makeWorkspace, runAction, runPost, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let edits = 0;
const WARM = { 'local-dir': 'models', 'timeout-minutes': '5', 'keep-warm': '10' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  // Its cases keep instances warm beside others (a second warm one, one of your own), past AWS's default Standard
  // quota of 5 vCPUs: this account has raised it (testbed/quotas.ts). faults-zones covers the quota.
  await aws.settings({ vcpuQuotas: { standard: 64 } });
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
}, 60_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-warm');
  await aws?.stop();
});

function edit(): void {
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

async function calls(since: number, operation: string): Promise<Record<string, unknown>[]> {
  return (await aws.log(since)).filter((e) => e.operation === operation).map((e) => e.params);
}

async function stateOf(id: string): Promise<{ state: string; tags: Record<string, string> }> {
  const found = await motoClients(aws).ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const i = found.Reservations?.[0]?.Instances?.[0];
  return {
    state: i?.State?.Name ?? 'absent',
    tags: Object.fromEntries((i?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

/** Holds the agent's lock on a file (its path the argument) until stdin closes, as a run on another host would. */
const HOLD_LOCK = `
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.pwrite(fd, b'a run of the test', 0)
print('held', flush=True)
sys.stdin.read()
`;

/** When the agent took and released the file system's lock, to the second, from its log lines. */
function lockSpan(stdout: string): { took: number; released: number } {
  const at = (what: string) =>
    Date.parse(new RegExp(`(\\S+Z) ${what} the file system lock`).exec(stdout)?.[1] ?? '') || Number.NaN;
  return { took: at('took'), released: at('released') };
}

/**
 * What is in the instance's /tmp and /var/tmp (the test bed keeps them under <state-dir>/instances/<id>/, sandbox.ts).
 * Nothing but efsync writes there on the test bed, so every entry is one a run left.
 */
function scratchOf(id: string): { tmp: string[]; varTmp: string[] } {
  const list = (...sub: string[]) => {
    const dir = path.join(aws.info.stateDir, 'instances', id, ...sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  };
  return { tmp: list('tmp'), varTmp: list('var', 'tmp') };
}

/** Waits until the command was killed on the instance (waitDone tolerates InvocationDoesNotExist at first). */
async function killedOn(id: string, commandId: string): Promise<void> {
  const done = await waitDone(aws, commandId, id, 90_000);
  expect([done.Status, done.ResponseCode]).toEqual(['Failed', 137]);
}

const shutdownArmed = (id: string) => fs.existsSync(path.join(aws.info.stateDir, 'instances', id, 'shutdown'));

/** When the instance's pending shutdown is due (ms), as the bed's shutdown(8) recorded it; NaN with none. */
const shutdownDue = (id: string) =>
  Number(fs.readFileSync(path.join(aws.info.stateDir, 'instances', id, 'shutdown'), 'utf8')) * 1000;

/** Ends every instance an earlier case left warm, so that a case starts with none to reuse. */
async function endWarm(): Promise<void> {
  for (const id of (await leftovers(aws)).instances) await aws.control('POST', `/instances/${id}/terminate`);
}

/** Waits until the bed has terminated the instance (its dead-man switch fired), for up to `ms`. */
async function untilEnded(id: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { state } = await stateOf(id);
    if (state === 'terminated' || state === 'shutting-down') return Date.now();
    if (Date.now() > deadline) throw new Error(`${id} is still ${state}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('warm and borrowed instances', { timeout: 300_000 }, () => {
  let warmId = '';

  it('a second run with keep-warm reuses the warm instance: no RunInstances, published', async () => {
    await aws.reset();
    edit();
    const first = await runAction(aws, workspace, WARM);
    expect(record('warm', 'first run with keep-warm', 'published', first), first.stdout.slice(-3000)).toBe('published');
    expect(first.outputs['instance-source']).toBe('launched');
    expect(Date.parse(first.outputs['warm-until'] ?? '')).toBeGreaterThan(Date.now());
    warmId = first.outputs['instance-id'] ?? '';
    const warm = await stateOf(warmId);
    expect(warm.state).toBe('running');
    expect(warm.tags['efsync:warm-until']).toBe(first.outputs['warm-until']);
    // The switch re-armed to fire just after warm-until (the bed records shutdown's time in epoch seconds).
    const due = Number(fs.readFileSync(path.join(aws.info.stateDir, 'instances', warmId, 'shutdown'), 'utf8')) * 1000;
    expect(due).toBeGreaterThan(Date.parse(first.outputs['warm-until'] ?? ''));

    const since = (await aws.log()).length;
    edit();
    const second = await runAction(aws, workspace, WARM);
    expect(record('warm', 'second run with keep-warm', 'published, no RunInstances', second)).toBe('published');
    expect(await calls(since, 'RunInstances')).toEqual([]);
    expect(second.outputs['instance-source']).toBe('reused');
    expect(second.outputs['instance-id']).toBe(warmId);
    expect(second.stdout).toContain(`Reusing warm instance ${warmId}`);
    expect((await stateOf(warmId)).state).toBe('running');
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  it('two runs with keep-warm at once share the warm instance: both publish, one after the other on the lock', async () => {
    await aws.reset();
    const lockFile = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, '.efsync.lock');
    expect(fs.existsSync(lockFile)).toBe(true);
    // The lock held from outside until both runs have sent their commands: they are then on the instance at once, and
    // take turns there (the instance's lock, then the file system's).
    const holder = spawn('python3', ['-c', HOLD_LOCK, lockFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    await once(holder.stdout, 'data');
    edit();
    const runs = ['overlap-a', 'overlap-b'].map((target) => {
      const setup = actionSetup(aws, workspace, { ...WARM, 'local-target': target });
      return { setup, main: startBundle('main', setup.inputs, setup.env) };
    });
    try {
      await Promise.all(runs.map((r) => r.main.waitFor(/Sent command [0-9a-f-]+ to i-/, 90_000)));
      // One agent waits for the lock; the other waits its turn on the instance behind it.
      await Promise.any(
        runs.map((r) => r.main.waitFor(/waits for the file system lock held by a run of the test/, 90_000)),
      );
    } finally {
      holder.stdin.end();
    }
    const steps = await Promise.all(
      runs.map(async ({ setup, main }) => {
        const result = await main.done;
        return { ...result, outputs: parseCommandFile(result.output), post: await runPost(setup.env, result) };
      }),
    );
    for (const [i, step] of steps.entries()) {
      const name = `run ${i + 1} of 2 at once on the warm instance`;
      expect(record('warm', name, 'published, after the other', step), step.stdout.slice(-3000)).toBe('published');
      expect(step.outputs['instance-source']).toBe('reused');
      expect(step.outputs['instance-id']).toBe(warmId);
    }
    expect(await calls(0, 'RunInstances')).toEqual([]);
    // One after the other: the lock's spans (to the second) do not overlap.
    const [a, b] = steps.map((step) => lockSpan(step.stdout));
    expect([a?.took, a?.released, b?.took, b?.released].every(Number.isFinite)).toBe(true);
    expect((a?.released ?? 0) <= (b?.took ?? 0) || (b?.released ?? 0) <= (a?.took ?? 0)).toBe(true);
    expect((await stateOf(warmId)).state).toBe('running');
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  it('a warm instance that vanishes before the send: the run launches one and publishes', async () => {
    await aws.reset();
    await aws.control('POST', `/instances/${warmId}/vanish-on-send`);
    edit();
    const step = await runAction(aws, workspace, WARM);
    expect(record('warm', 'warm instance vanishes before the send', 'launches one, published', step)).toBe('published');
    expect(step.stdout).toContain(`Warm instance ${warmId} vanished before the command reached it`);
    expect(await calls(0, 'RunInstances')).toHaveLength(1);
    expect(step.outputs['instance-source']).toBe('launched');
    expect((await stateOf(warmId)).state).toBe('terminated');
    warmId = step.outputs['instance-id'] ?? '';
  });

  it('SIGINT during a run on a warm instance terminates it: never left half-used', async () => {
    await aws.reset();
    edit();
    fs.writeFileSync(path.join(workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, edits));
    const setup = actionSetup(aws, workspace, WARM);
    const main = startBundle('main', setup.inputs, setup.env);
    await main.waitFor(/Sent command [0-9a-f-]+ to i-/, 90_000);
    main.child.kill('SIGINT');
    const result = await main.done;
    const post = await runPost(setup.env, result);
    record('warm', 'SIGINT during a run on a warm instance', 'cancelled (exit 130), instance terminated', result);
    expect(result.status).toBe(130);
    expect(result.stdout).toContain(`Reusing warm instance ${warmId}`);
    expect(post.status).toBe(0);
    expect(['terminated', 'shutting-down']).toContain((await stateOf(warmId)).state);
    expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
    fs.rmSync(path.join(workspace, 'models/large.bin'));
  });

  it('sweep terminates a warm instance whose warm-until has passed', async () => {
    await aws.reset();
    edit();
    const step = await runAction(aws, workspace, WARM);
    expect(step.outputs['instance-source']).toBe('launched');
    const id = step.outputs['instance-id'] ?? '';
    const past = new Date(Date.now() - 60_000).toISOString();
    // Straight to moto, as time passing would: warm-until and expires-at behind us.
    await motoClients(aws).ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: 'efsync:warm-until', Value: past },
          { Key: 'expires-at', Value: past },
        ],
      }),
    );
    const sweep = await runAction(aws, workspace, { mode: 'sweep' });
    expect(record('warm', 'sweep after warm-until', 'the warm instance terminated', sweep)).toBe('no change');
    expect(sweep.stdout).toContain(`Terminated 1 warm instance(s) whose warm-until has passed: ${id}.`);
    expect(['terminated', 'shutting-down']).toContain((await stateOf(id)).state);
  });

  it('a small keep-warm publish, then a large part: the warm root volume is too small, one is launched, saying why', async () => {
    await aws.reset();
    await endWarm();
    // S3-source objects go straight to EFS: nothing is staged, so the instance gets the image's own root volume.
    const small = await runAction(aws, workspace, {
      's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}`,
      's3-target': 'small-first',
      'timeout-minutes': '5',
      'keep-warm': '10',
    });
    expect(
      record('warm', 'small keep-warm publish (nothing staged)', 'published', small),
      small.stdout.slice(-3000),
    ).toBe('published');
    const first = small.outputs['instance-id'] ?? '';
    const disk = await aws.control<{ imageGiB: number; scratchBytes: number }>('GET', `/instances/${first}/disk`);
    // One part larger than the warm instance's free space (the bed's image headroom, 32 MiB).
    edit();
    fs.writeFileSync(path.join(workspace, 'models/large.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
    expect(40 * 1024 * 1024).toBeGreaterThan(disk.scratchBytes);
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const large = await runAction(aws, workspace, WARM);
    fs.rmSync(path.join(workspace, 'models/large.bin'));
    expect(
      record(
        'warm',
        'then a part larger than its root volume allows',
        'a new instance launched, saying why; published',
        large,
      ),
      large.stdout.slice(-3000),
    ).toBe('published');
    expect(large.stdout).toContain(
      `Warm instance ${first} is not reused: its root volume (${disk.imageGiB} GiB) is smaller than this run needs on `,
    );
    expect(large.stdout).toMatch(new RegExp(`smaller than this run needs on \\S+ \\(${disk.imageGiB + 1} GiB\\)`));
    expect(await calls(since, 'RunInstances')).toHaveLength(1);
    expect((await stateOf(first)).tags['efsync:root-gib']).toBe(String(disk.imageGiB));
    expect(large.outputs['instance-source']).toBe('launched');
    const second = large.outputs['instance-id'] ?? '';
    expect(second).not.toBe(first);
    expect((await stateOf(second)).tags['efsync:root-gib']).toBe(String(disk.imageGiB + 1));
    for (const id of [first, second]) await aws.control('POST', `/instances/${id}/terminate`);
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  let rebootId = '';
  let rebootWarmUntil = 0;

  it("after a reuse the switch fires a minute after warm-until, not at the run's deadline", async () => {
    await aws.reset();
    await endWarm();
    const inputs = { 'local-dir': 'models', 'timeout-minutes': '30', 'keep-warm': '1' };
    edit();
    const first = await runAction(aws, workspace, inputs);
    expect(first.outputs['instance-source'], first.stdout.slice(-3000)).toBe('launched');
    edit();
    const second = await runAction(aws, workspace, inputs);
    expect(
      record('warm', 'reuse with keep-warm 1, timeout 30 min', 'published; switch at warm-until + 1 min', second),
    ).toBe('published');
    expect(second.outputs['instance-source']).toBe('reused');
    rebootId = second.outputs['instance-id'] ?? '';
    rebootWarmUntil = Date.parse(second.outputs['warm-until'] ?? '');
    // shutdown(8) takes whole minutes: due within a minute after the wanted warm-until + 60 s (never the 31 minutes
    // of the run's deadline).
    const due = shutdownDue(rebootId);
    expect(due).toBeGreaterThanOrEqual(rebootWarmUntil + 30_000);
    expect(due).toBeLessThanOrEqual(rebootWarmUntil + 125_000);
    // The launching run's lease ended with its success: only warm-until holds the switch now.
    const leases = path.join(aws.info.stateDir, 'instances', rebootId, 'var/lib/efsync/leases');
    expect(fs.readdirSync(leases)).toEqual([]);
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  it('a reboot of the warm instance: the switch is armed again at boot, and the instance ends on time', {
    timeout: 420_000,
  }, async () => {
    expect(rebootId).not.toBe('');
    const before = shutdownDue(rebootId);
    await clients(aws).ec2.send(new RebootInstancesCommand({ InstanceIds: [rebootId] }));
    // Up again: the boot unit armed the shutdown kept on its root volume.
    for (let i = 0; i < 60 && !shutdownArmed(rebootId); i++) await new Promise((r) => setTimeout(r, 500));
    const armed = shutdownArmed(rebootId);
    if (!armed)
      rows.push({
        group: 'warm',
        name: 'reboot of the warm instance',
        expected: 'ends after warm-until',
        observed: 'no shutdown pending after the reboot',
      });
    expect(armed).toBe(true);
    const after = shutdownDue(rebootId);
    expect(Math.abs(after - before)).toBeLessThanOrEqual(60_000);
    const ended = await untilEnded(rebootId, Math.max(0, rebootWarmUntil + 200_000 - Date.now()));
    rows.push({
      group: 'warm',
      name: 'reboot of the warm instance',
      expected: 'ends after warm-until',
      observed: `switch re-armed at boot; terminated ${Math.round((ended - rebootWarmUntil) / 1000)} s after warm-until`,
    });
    expect(ended).toBeGreaterThanOrEqual(rebootWarmUntil);
  });

  it('two runs share a warm instance; the first fails: the instance is left to the second, which publishes', async () => {
    await aws.reset();
    await endWarm();
    edit();
    const warm = await runAction(aws, workspace, WARM);
    expect(warm.outputs['instance-source'], warm.stdout.slice(-3000)).toBe('launched');
    const shared = warm.outputs['instance-id'] ?? '';
    const lockFile = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, '.efsync.lock');
    // The file system's lock held from outside: the second run's agent waits on it, its command InProgress.
    const holder = spawn('python3', ['-c', HOLD_LOCK, lockFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    await once(holder.stdout, 'data');
    edit();
    const setup = actionSetup(aws, workspace, { ...WARM, 'local-target': 'shared-second' });
    const second = startBundle('main', setup.inputs, setup.env);
    let failed: Awaited<ReturnType<typeof runAction>>;
    try {
      await second.waitFor(/waits for the file system lock held by a run of the test/, 90_000);
      // The next command to start fails at once: the first run's, on the same warm instance.
      await aws.commandFault({ action: 'fail', exitCode: 1, stderr: 'failed by the test bed' });
      failed = await runAction(aws, workspace, { ...WARM, 'local-target': 'shared-first' });
    } finally {
      holder.stdin.end();
    }
    record('warm', 'first of two runs on a warm instance fails', 'failed, the instance left running', failed);
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toContain(`Reusing warm instance ${shared}`);
    const result = await second.done;
    const step = { ...result, outputs: parseCommandFile(result.output), post: await runPost(setup.env, result) };
    expect(record('warm', 'second run on the shared instance', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.outputs['instance-id']).toBe(shared);
    expect((await stateOf(shared)).state).toBe('running');
    expect(JSON.stringify(await calls(0, 'TerminateInstances'))).not.toContain(shared);
    expect(failed.stdout).toMatch(
      new RegExp(`Left ${shared} running: another run is using it \\(command \\S+ \\(efsync `),
    );
    await aws.control('POST', `/instances/${shared}/terminate`);
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  it('instance-id publishes and leaves that instance running and untouched', async () => {
    await aws.reset();
    // An instance of the user's own, launched by an administrator straight at moto: no efsync tags.
    const mine = await launchOwn(aws, 'bastion');
    const before = await stateOf(mine);
    edit();
    const step = await runAction(aws, workspace, { 'local-dir': 'models', 'instance-id': mine });
    expect(
      record('borrowed', 'instance-id of your own', 'published, instance untouched', step),
      step.stdout.slice(-3000),
    ).toBe('published');
    expect(step.outputs['instance-source']).toBe('borrowed');
    expect(await calls(0, 'RunInstances')).toEqual([]);
    const touched = [...(await calls(0, 'TerminateInstances')), ...(await calls(0, 'StopInstances'))];
    expect(JSON.stringify(touched)).not.toContain(mine);
    expect(await calls(0, 'CreateTags')).toEqual([]);
    expect(await stateOf(mine)).toEqual(before);
    expect(shutdownArmed(mine)).toBe(false);
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  // A command SSM ends (its timeout, a cancel) is killed with SIGKILL: nothing on the instance cleans up after it. On a
  // warm or borrowed instance the next run finds what it left in /tmp and /var/tmp.
  it('instance-id: after a run killed mid-command, the next run publishes and leaves no scratch', async () => {
    await aws.reset();
    const mine = await launchOwn(aws, 'workbench');
    const inputs = { 'local-dir': 'models', 'instance-id': mine, 'timeout-minutes': '5' };
    await aws.commandFault({ action: 'kill', when: 'downloaded part' });
    edit();
    const killed = await runAction(aws, workspace, inputs);
    expect(record('borrowed', 'instance-id, a run killed mid-command', 'failed', killed)).toMatch(/^failed/);
    const left = scratchOf(mine);
    expect(left.tmp.length * left.varTmp.length, JSON.stringify(left)).toBeGreaterThan(0);
    edit();
    const step = await runAction(aws, workspace, inputs);
    expect(
      record('borrowed', 'instance-id, the run after a killed one', 'published, no scratch left', step),
      step.stdout.slice(-3000),
    ).toBe('published');
    expect(scratchOf(mine)).toEqual({ tmp: [], varTmp: [] });
    expect((await stateOf(mine)).state).toBe('running');
    expect((await leftovers(aws)).runObjects).toEqual([]);
  });

  it('keep-warm: after a run whose runner was lost while its command was killed, the next run reuses the instance, publishes and leaves no scratch', async () => {
    await aws.reset();
    edit();
    const first = await runAction(aws, workspace, WARM);
    expect(first.status).toBe(0);
    const id = first.outputs['instance-id'] ?? '';
    // The lost run: its runner dies once the command is sent (no teardown, no post step), and the command is then
    // killed on the instance mid-download.
    await aws.commandFault({ action: 'kill', when: 'downloaded part' });
    edit();
    const setup = actionSetup(aws, workspace, WARM);
    const lost = startBundle('main', setup.inputs, setup.env);
    await lost.waitFor(/Sent command [0-9a-f-]+ to i-/, 90_000);
    lost.child.kill('SIGKILL');
    const { stdout } = await lost.done;
    await killedOn(id, /Sent command ([0-9a-f-]+) to i-/.exec(stdout)?.[1] ?? '');
    const left = scratchOf(id);
    expect(left.tmp.length * left.varTmp.length, JSON.stringify(left)).toBeGreaterThan(0);
    // The lost run's staged objects stay for the staging lifecycle rule (runs/ expire after a day).
    const staged = (await leftovers(aws)).runObjects;
    edit();
    const step = await runAction(aws, workspace, WARM);
    expect(
      record('warm', 'keep-warm, the run after a killed one', 'reused, published, no scratch left', step),
      step.stdout.slice(-3000),
    ).toBe('published');
    expect(step.outputs['instance-source']).toBe('reused');
    expect(step.outputs['instance-id']).toBe(id);
    expect(scratchOf(id)).toEqual({ tmp: [], varTmp: [] });
    expect((await leftovers(aws)).runObjects).toEqual(staged);
  });
});
