// The published module, imported by its package name as a user would, from the committed bundle.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/repo.ts';

describe("import { sync } from 'efsync-action'", () => {
  it('loads the bundle and plans a dry run', () => {
    const script = `
      import { loadConfig, sync, ConfigError } from 'efsync-action';
      const { config } = loadConfig({ 'aws-region': 'eu-west-1', 'file-system-id': 'fs-12345678',
        'staging-bucket': 'stage-1', 'local-dir': 'src', 'dry-run': true });
      const result = await sync(config);
      let refused = '';
      try { loadConfig({ mode: 'upload' }); } catch (error) { refused = error instanceof ConfigError ? error.message : 'wrong'; }
      console.log(JSON.stringify({ paths: result.paths, refused }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const { paths, refused } = JSON.parse(result.stdout);
    expect(paths).toEqual([{ kind: 'local', target: 'src', lambdaPath: '/mnt/efs/src', efsPath: '/src' }]);
    expect(refused).toContain("Option 'mode': 'upload' is not one of sync, rollback, sweep.");
  });
});
