// The published module, imported by its package name as a user would, from the committed bundle.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../testbed/client.ts';
import { ROOT } from './support/repo.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(() => aws?.stop());

describe("import { sync } from 'efsync-action'", () => {
  it('loads the bundle and plans a dry run against AWS', () => {
    const { info } = aws;
    const script = `
      import { loadConfig, sync, ConfigError } from 'efsync-action';
      const { config } = loadConfig({ 'aws-region': '${info.region}', 'file-system-id': '${info.fileSystemId}',
        'staging-bucket': '${info.stagingBucket}', 'security-group-ids': '${info.instanceSecurityGroupId}',
        'local-dir': 'src', 'dry-run': true });
      const result = await sync(config);
      let refused = '';
      try { loadConfig({ mode: 'upload' }); } catch (error) { refused = error instanceof ConfigError ? error.message : 'wrong'; }
      console.log(JSON.stringify({ paths: result.paths, targets: result.targets, refused }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...aws.env },
    });
    expect(result.stderr).toBe('');
    const { paths, targets, refused } = JSON.parse(result.stdout);
    expect(paths).toEqual([{ kind: 'local', target: 'src', lambdaPath: '/mnt/efs/src', efsPath: '/src' }]);
    // Every file of src/ is new to this test bed, and nothing else is planned.
    const files = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true });
    expect(targets).toEqual([
      expect.objectContaining({
        target: 'src',
        status: 'planned',
        files: { added: files.filter((entry) => entry.isFile()).length, changed: 0, deleted: 0 },
      }),
    ]);
    expect(refused).toContain("Option 'mode': 'upload' is not one of sync, rollback, sweep.");
  });
});
