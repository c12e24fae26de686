// On a Node older than 24, `npm ci`, `npm run demo` and `npm test` end in one line that names the version needed and
// how to get it: scripts/check-node.cjs, run first by those commands.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/repo.ts';

const SCRIPT = path.join(ROOT, 'scripts/check-node.cjs');

function check(...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
}

describe('scripts/check-node.cjs', () => {
  it('passes silently on the running Node', () => {
    const result = check();
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
  });

  it.each(['20.20.2', 'v22.12.0', '18.0.0'])(
    'refuses Node %s in one line naming the version needed and how',
    (version) => {
      const result = check(version);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('needs Node 24 or later');
      expect(lines[0]).toContain(`this is Node ${version.replace(/^v/, '')}`);
      expect(lines[0]).toContain('nvm install');
      expect(lines[0]).toContain('bash .ci/run');
    },
  );

  it('accepts Node 24 and later', () => {
    for (const version of ['24.0.0', '24.21.0', 'v25.1.0']) expect(check(version).status).toBe(0);
  });

  it('names the Node that .ci/run installs and the major that .node-version and engines ask for', () => {
    const ciVersion = /^NODE_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8'))?.[1];
    expect(check('20.0.0').stderr).toContain(`node-${ciVersion}/bin`);
    const major = fs.readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim();
    expect(ciVersion?.split('.')[0]).toBe(major);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(check(`${Number(major) - 1}.99.0`).status).toBe(1);
  });

  it('runs first in npm ci and in every npm script that runs TypeScript or the tests', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.preinstall).toContain("require('./scripts/check-node.cjs')");
    for (const name of ['test', 'test:unit', 'demo', 'bench', 'local-aws', 'package', 'all']) {
      expect(scripts[name], name).toMatch(/^node scripts\/check-node\.cjs && /);
    }
  });

  it('is a no-op as preinstall where the script is absent (the package installed as a dependency)', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const code = /node -e "(.*)"$/.exec(scripts.preinstall ?? '')?.[1] ?? '';
    expect(code).not.toBe('');
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'check-node-'));
    try {
      expect(spawnSync(process.execPath, ['-e', code], { cwd: elsewhere }).status).toBe(0);
    } finally {
      fs.rmSync(elsewhere, { recursive: true });
    }
    expect(spawnSync(process.execPath, ['-e', code], { cwd: ROOT }).status).toBe(0);
  });
});
