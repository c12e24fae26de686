// npm run local-aws: one JSON line when ready, both servers stopped on SIGINT or SIGTERM, a clear stop without moto.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { MOTO_MISSING } from './moto.ts';

const MAIN = path.join(import.meta.dirname, 'main.ts');
const KEYS = [
  'endpoint',
  'region',
  'oidcUrl',
  'oidcToken',
  'fileSystemId',
  'accessPointId',
  'subnetIds',
  'instanceSecurityGroupId',
  'instanceProfile',
  'stagingBucket',
  'sourceBucket',
  'sourcePrefix',
  'stateDir',
  'controlUrl',
];

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

// Each starts a test bed of its own: the two run side by side.
describe.concurrent.each(['SIGINT', 'SIGTERM'] as const)('local-aws stopped with %s', (signal) => {
  it('prints exactly one JSON line with the documented keys, then stops both servers', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-main-'));
    const child = spawn(process.execPath, [MAIN, '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const firstLine = new Promise<void>((resolve) =>
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        resolve();
      }),
    );
    await firstLine;
    const info = JSON.parse(lines[0] ?? '{}');
    expect(Object.keys(info)).toEqual(expect.arrayContaining(KEYS));
    expect(info.stateDir).toBe(stateDir);
    expect(info.subnetIds).toHaveLength(2);
    expect(new URL(info.endpoint).hostname).toBe('127.0.0.1');
    expect(await answers(`${info.controlUrl}/health`)).toBe(true);
    expect(await answers(info.motoEndpoint)).toBe(true);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(lines).toHaveLength(1);
    expect(await answers(`${info.controlUrl}/health`)).toBe(false);
    expect(await answers(info.motoEndpoint)).toBe(false);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
});

describe('without moto', () => {
  it('stops at once with the install instruction', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-nomoto-'));
    const result = spawnSync(process.execPath, [MAIN, '--state-dir', path.join(home, 'state')], {
      env: { PATH: '/usr/bin:/bin', HOME: home, PYENV_ROOT: path.join(home, 'pyenv') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`local-aws: ${MOTO_MISSING}\n`);
    expect(MOTO_MISSING).toContain("pip install 'moto[server]'");
  });
});
