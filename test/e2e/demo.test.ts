// npm run demo, as a newcomer runs it after `npm ci`: it publishes the examples, then shows the no-op.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/repo.ts';

describe('npm run demo', () => {
  it('publishes the examples onto the test bed, shows the EFS tree, then runs again with nothing to do', {
    timeout: 180_000,
  }, () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/demo.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out.match(/changed = true/g)).toHaveLength(1);
    expect(out.match(/changed = false/g)).toHaveLength(1);
    expect(out).toContain('Nothing changed: no instance is needed.');
    // The first run is the writer function's: no instance at all.
    expect(out).toContain('engine = lambda');
    expect(out).toContain('instance-id = \n');
    expect(out).toMatch(/lib -> \.lib\.efsync\/\d{8}T\d{6}Z-[0-9a-f]{8}/);
    expect(out).toContain('efsync_demo_greeting/');
    expect(out).toContain('labels.txt');
    expect(out).toContain('FileSystemConfigs');
  });
});
