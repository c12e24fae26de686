// infra/efsync.yaml through cfn-lint, AWS's own CloudFormation linter (a Python tool), when it is installed.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_PATH } from './schema.ts';

describe('the template', () => {
  const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  it.skipIf(cfnLint.status !== 0)('passes cfn-lint (when it is installed)', () => {
    const run = spawnSync('cfn-lint', [TEMPLATE_PATH], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
