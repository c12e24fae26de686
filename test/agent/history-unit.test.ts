// The agent's History logic on its own, with Python 3.9's unittest (test/agent/history_unit.py).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON } from './harness.ts';

describe('History (Python unittest)', () => {
  it('picks the release a rollback serves and the releases pruning removes', () => {
    const run = spawnSync(PYTHON, [path.join(import.meta.dirname, 'history_unit.py'), '-v'], { encoding: 'utf8' });
    expect(run.stderr).toMatch(/Ran [1-9]\d* tests?/);
    expect(run.stderr).toMatch(/\nOK\n?$/);
    expect(run.status).toBe(0);
  });
});
