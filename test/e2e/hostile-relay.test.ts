// Text written on the file system by anyone who can write it reaches the runner's log without commanding the runner.
// The lock file says who holds the lock; the agent logs that text as it is while it waits; the action relays the
// agent's log. A holder whose text holds workflow commands spoofs no annotation and stops no command: the committed
// main bundle's stdout, read as the runner reads it (test/support/runner-commands.ts), shows the text and no command
// of it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { findPython39 } from '../local-aws/sandbox.ts';
import { HOSTILE, readAsRunner } from '../support/runner-commands.ts';
import { makeWorkspace, runAction } from './support.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
});
afterAll(async () => {
  await aws?.stop();
});

const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

describe('a hostile lock holder', () => {
  it("is relayed as text: no spoofed annotation, no command honoured from it, the run's own commands kept", async () => {
    const workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
    const first = await runAction(aws, workspace, INPUTS);
    expect(first.status, first.stdout.slice(-3000)).toBe(0);

    // Another writer of the file system holds the lock for a few seconds, its text full of workflow commands.
    const lock = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, '.efsync.lock');
    const text = HOSTILE.join('\n');
    const holder = spawn(
      findPython39(),
      [
        '-c',
        'import fcntl,sys,time; f=open(sys.argv[1],"r+"); fcntl.lockf(f, fcntl.LOCK_EX); f.truncate(0); ' +
          'f.write(sys.argv[2]); f.flush(); print("held", flush=True); time.sleep(6)',
        lock,
        text,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    fs.writeFileSync(path.join(workspace, 'models/a.txt'), 'second\n');
    let step: Awaited<ReturnType<typeof runAction>>;
    try {
      step = await runAction(aws, workspace, INPUTS);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(step.status, step.stdout.slice(-3000)).toBe(0);
    expect(step.stdout).toContain('waits for the file system lock held by ::warning title=x::spoof');

    const reading = readAsRunner(step.stdout);
    const stops = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data.toLowerCase());
    expect(stops.length).toBeGreaterThan(0);
    const own = reading.commands.filter(
      (c) => c.command !== 'stop-commands' && !stops.includes(c.command.toLowerCase()),
    );
    // Only the action's own commands: masks, groups, none from the holder's text.
    for (const command of own) expect(['add-mask', 'group', 'endgroup', 'debug']).toContain(command.command);
    expect(reading.annotations).toEqual([]);
    for (const line of HOSTILE.slice(1).flatMap((l) => l.split(/\r\n|\r|\n/))) expect(reading.log).toContain(line);
    // Commands were not left stopped: the step's last command line is the resume of a block or the action's own.
    expect(own.some((c) => c.command === 'endgroup')).toBe(true);
  }, 180_000);
});
