// The bundled efsync command (dist/cli), run as a shell runs it, against the test bed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { actionYml, ROOT } from '../support/repo.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

describe('the bundled command', () => {
  it('runs the engine: it reads the example configuration, and preflight names the file system it cannot find', () => {
    const result = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'dist/cli/index.js'),
        '--config',
        'examples/efsync.yaml',
        '--staging-bucket',
        'my-efsync-staging',
        '--dry-run',
      ],
      // A developer's own credentials (an administrator's): the action role may not even describe a file system
      // outside its stack, and AWS would refuse it rather than say it does not exist.
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...aws.env, AWS_ACCESS_KEY_ID: 'testing' } },
    );
    expect(result.stderr).toContain('ec2_key_name is ignored');
    expect(result.stderr).toContain(
      'efsync: File system fs-0123456789abcdef0 does not exist in eu-central-1. Check file-system-id and aws-region.',
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
  });

  it('explains every flag with the description of action.yml, which it reads from beside the bundle', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/index.js'), '--help'], {
      cwd: '/',
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const text = result.stdout.replace(/\s+/g, ' ');
    for (const [name, input] of Object.entries(actionYml().inputs)) {
      expect(text, name).toContain(`--${name} `);
      expect(text, name).toContain(input.description.replace(/\s+/g, ' ').trim());
    }
    expect(text).not.toContain('which is missing');
  });
});
