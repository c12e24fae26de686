// The agent's Python unit tests (agent/tests/, stdlib unittest) with Python 3.9, against the zipapp that ships: the
// package is imported from efsync_agent.pyz, never from agent/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT, PYTHON, tmpDir } from './harness.ts';

const TESTS = path.resolve(import.meta.dirname, '../../agent/tests');

describe('the agent (Python unittest)', () => {
  it('checks jobs, writes and verifies files, builds, prunes and rolls back releases, and runs the writer function', () => {
    const scratch = tmpDir();
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: AGENT, TMPDIR: scratch, PYTHONDONTWRITEBYTECODE: '1' };
    // Run from agent/tests, so that the package is found nowhere but in the zipapp.
    const python = (...args: string[]) => spawnSync(PYTHON, args, { cwd: TESTS, env, encoding: 'utf8' });
    try {
      const where = python('-c', 'import efsync_agent; print(efsync_agent.__file__)');
      expect(where.stdout.trim()).toBe(path.join(AGENT, 'efsync_agent', '__init__.py'));
      const run = python('-m', 'unittest', 'discover', '-s', '.', '-t', '.', '-v');
      expect(run.stderr).toMatch(/Ran [1-9]\d* tests?/);
      expect(run.stderr).toMatch(/\nOK\n?$/);
      expect(run.status).toBe(0);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
