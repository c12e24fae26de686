// The efsync command against the test bed: a dry run plans from what AWS says, and flags win over --config.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { tempWorkspace } from '../support/config.ts';
import { capture } from '../support/console.ts';

let aws: LocalAws;
let FLAGS: string[];
beforeAll(async () => {
  aws = await startLocalAws();
  FLAGS = [
    '--aws-region',
    aws.info.region,
    '--file-system-id',
    aws.info.fileSystemId,
    '--staging-bucket',
    aws.info.stagingBucket,
    '--security-group-ids',
    aws.info.instanceSecurityGroupId,
  ];
  // The CLI's AWS clients read the standard variables, as they would on a developer's machine.
  for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.stop();
});

afterEach(() => vi.restoreAllMocks());

describe('efsync', () => {
  it('warns about a deprecated runtime exactly once', async () => {
    const { err } = capture();
    const workspace = tempWorkspace({ 'requirements.txt': '# nothing yet\n' });
    await main([...FLAGS, '--requirements', 'requirements.txt', '--python-version', '3.10', '--dry-run'], {
      GITHUB_WORKSPACE: workspace,
    });
    expect(err.filter((line) => line.startsWith('warning: python3.10 is deprecated on AWS Lambda'))).toHaveLength(1);
    // The run went past loading the configuration, into the engine, where a second validation once warned again.
    expect(err).toContain('== Credentials');
  });

  it('prints the plan on stderr and the outputs as JSON on stdout in a dry run', async () => {
    const { out, err } = capture();
    const workspace = tempWorkspace({ 'models/a.txt': 'a', 'models/b.txt': 'bb' });
    const code = await main([...FLAGS, '--local-dir', 'models', '--dry-run'], { GITHUB_WORKSPACE: workspace });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      changed: 'false',
      'local-path': '/mnt/efs/models',
      'efs-local-path': '/models',
    });
    expect(err).toContain('Publish workspace folder models to models (Lambda: /mnt/efs/models).');
    expect(err).toContain('models: +2 added (3 B), ~0 modified (0 B), -0 deleted; 2 files in the new release');
  });

  it('lets flags win over --config keys', async () => {
    const workspace = tempWorkspace({
      'efsync.yaml': 'efs_filesystem_id: fs-0fedcba9\naws_region: us-east-1\nefs_pip_dir: py\nfile_dir: data\n',
      'data/x.txt': 'x',
    });
    const { out } = capture();
    const code = await main([...FLAGS, '--config', 'efsync.yaml', '--local-target', 'files', '--dry-run'], {
      GITHUB_WORKSPACE: workspace,
    });
    expect(code).toBe(0);
    // --file-system-id (a flag) won over efs_filesystem_id, and --local-target over the folder name.
    expect(JSON.parse(out.join('\n'))['local-path']).toBe('/mnt/efs/files');
  });
});
