import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandboxes } from './sandbox.ts';

// The dead-man switch as the bed sees it: the shutdown shim records a request, the bed's ticker reads it each second.
let state = '';
let sandboxes: Sandboxes;
const id = 'i-0123456789abcdef0';
const file = () => path.join(sandboxes.dir(id), 'shutdown');

beforeAll(() => {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-sandbox-'));
  sandboxes = new Sandboxes(state);
  fs.mkdirSync(sandboxes.dir(id), { recursive: true });
});
afterAll(() => fs.rmSync(state, { recursive: true, force: true }));

describe('the shutdown request', () => {
  it('is a whole epoch time or nothing: an empty or partial file never ends the instance at once', () => {
    expect(sandboxes.shutdownDue(id)).toBeUndefined();
    fs.writeFileSync(file(), '');
    expect(sandboxes.shutdownDue(id)).toBeUndefined();
    fs.writeFileSync(file(), '17x');
    expect(sandboxes.shutdownDue(id)).toBeUndefined();
    fs.writeFileSync(file(), '1700000000\n');
    expect(sandboxes.shutdownDue(id)).toBe(1_700_000_000_000);
  });

  it('the shim writes the time whole (renamed into place) and leaves nothing beside it', () => {
    const env = { ...process.env, EFSYNC_TESTBED_SANDBOX: sandboxes.dir(id) };
    execFileSync(path.join(sandboxes.shims, 'shutdown'), ['-P', '+5'], { env });
    const due = sandboxes.shutdownDue(id) ?? 0;
    expect(due - Date.now()).toBeGreaterThan(290_000);
    expect(due - Date.now()).toBeLessThanOrEqual(300_000);
    expect(fs.readdirSync(sandboxes.dir(id))).toEqual(['shutdown']);
    execFileSync(path.join(sandboxes.shims, 'shutdown'), ['-c'], { env });
    expect(sandboxes.shutdownDue(id)).toBeUndefined();
  });
});
