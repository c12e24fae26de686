// The dead-man switch's shell (src/remote/instance/switch.ts), run by bash in a directory that stands for /var/lib/efsync, with a
// shutdown that records its argument: leases of runs at work hold it, warm-until plus a minute brings it back once
// they end, and the boot unit arms it again from what is kept on disk.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ARM_FUNCTIONS, EFSYNC_DIR, UNIT_NAME, userData } from '../../../src/remote/instance/switch.js';

let dir: string;
let bin: string;

beforeEach(() => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-switch-'));
  dir = path.join(root, 'efsync');
  bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'shutdown'), `#!/bin/bash\necho "$*" > "${root}/asked"\n`, { mode: 0o755 });
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

/** Runs the functions and `script` with EFSYNC_DIR standing at `dir`; returns shutdown-at and shutdown's argument. */
function run(script: string): { due: number; asked: string; now: number } {
  const text = [...ARM_FUNCTIONS, script].join('\n').replaceAll(EFSYNC_DIR, dir);
  const now = Math.floor(Date.now() / 1000);
  execFileSync('bash', ['-euo', 'pipefail', '-c', text], { env: { PATH: `${bin}:/usr/bin:/bin` }, stdio: 'ignore' });
  return {
    due: Number(fs.readFileSync(path.join(dir, 'shutdown-at'), 'utf8')),
    asked: fs.readFileSync(path.join(path.dirname(dir), 'asked'), 'utf8').trim(),
    now,
  };
}

const lease = (name: string, secondsAhead: number) =>
  `mkdir -p ${EFSYNC_DIR}/leases; echo $(( $(date +%s) + ${secondsAhead} )) > ${EFSYNC_DIR}/leases/${name}`;

describe('efsync_arm', () => {
  it('holds the switch at the latest lease while runs are at work', () => {
    const { due, now, asked } = run(`${lease('aaaa0001', 3660)}\n${lease('bbbb0002', 600)}\nefsync_arm`);
    expect(due - now).toBeGreaterThanOrEqual(3659);
    expect(due - now).toBeLessThanOrEqual(3662);
    expect(asked).toBe('-P +61');
  });

  it('once the runs have ended, fires a minute after warm-until, even when that is earlier than a lease was', () => {
    run(`${lease('aaaa0001', 3660)}\nefsync_arm`);
    const { due, now, asked } = run(`efsync_warm 120\nrm -f ${EFSYNC_DIR}/leases/aaaa0001\nefsync_arm`);
    expect(due - now).toBeGreaterThanOrEqual(179);
    expect(due - now).toBeLessThanOrEqual(182);
    expect(asked).toBe('-P +3');
  });

  it("one run ending never shortens another's: the other's lease still counts", () => {
    const { due, now } = run(
      `${lease('aaaa0001', 3660)}\n${lease('bbbb0002', 1800)}\nefsync_warm 120\nrm -f ${EFSYNC_DIR}/leases/bbbb0002\nefsync_arm`,
    );
    expect(due - now).toBeGreaterThanOrEqual(3659);
  });

  it('drops leases whose time has passed, and fires a minute from now when nothing holds it', () => {
    const { due, now } = run(`${lease('aaaa0001', -5)}\nefsync_arm`);
    expect(fs.existsSync(path.join(dir, 'leases/aaaa0001'))).toBe(false);
    expect(due - now).toBeGreaterThanOrEqual(59);
    expect(due - now).toBeLessThanOrEqual(62);
  });

  it('efsync_warm never moves warm-until earlier, and ends the launch lease', () => {
    run(`${lease('launch', 1800)}\nefsync_warm 900\nefsync_warm 60\nefsync_arm`);
    const warm = Number(fs.readFileSync(path.join(dir, 'warm-until'), 'utf8'));
    expect(warm - Math.floor(Date.now() / 1000)).toBeGreaterThan(890);
    expect(fs.existsSync(path.join(dir, 'leases/launch'))).toBe(false);
  });
});

describe('user data', () => {
  it('arms the switch first, keeps it as the launch lease, and installs a boot unit with no value in it', () => {
    const text = userData(30);
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['#!/bin/bash', 'shutdown -P +30']);
    expect(text).toContain('echo $(( $(date +%s) + 30 * 60 )) > /var/lib/efsync/leases/launch');
    expect(text).toContain(`systemctl enable ${UNIT_NAME}`);
    const unit = /<<'EFSYNC_UNIT'\n([\s\S]*?)\nEFSYNC_UNIT/.exec(text)?.[1] ?? '';
    expect(unit).toContain('ExecStart=/bin/bash /var/lib/efsync/arm-at-boot');
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(unit).not.toMatch(/\d{2}/);
    expect(() => userData(1.5)).toThrow('bad dead-man switch time');
  });

  it('the boot script arms the shutdown kept on disk, at least a minute away', () => {
    const script = /<<'EFSYNC_BOOT'\n([\s\S]*?)\nEFSYNC_BOOT/.exec(userData(30))?.[1] ?? '';
    fs.mkdirSync(dir, { recursive: true });
    const boot = (due: number) => {
      fs.writeFileSync(path.join(dir, 'shutdown-at'), `${due}\n`);
      execFileSync('bash', ['-c', script.replaceAll(EFSYNC_DIR, dir)], { env: { PATH: `${bin}:/usr/bin:/bin` } });
      return fs.readFileSync(path.join(path.dirname(dir), 'asked'), 'utf8').trim();
    };
    const now = Math.floor(Date.now() / 1000);
    expect(boot(now + 600)).toMatch(/^-P \+1[01]$/);
    expect(boot(now - 600)).toBe('-P +1');
  });
});
