// The efsync command: flags named like the inputs, --config with flags winning, JSON outputs on stdout.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, normalizeSwitches } from '../../src/cli/main.js';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { tempWorkspace } from '../support/config.ts';
import { ROOT } from '../support/repo.ts';

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

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('switches', () => {
  it('reads --dry-run alone as true and --no-delete as false', () => {
    expect(normalizeSwitches(['--dry-run', '--no-delete', '--force', 'false', '--local-dir', 'x', '--force'])).toEqual([
      '--dry-run',
      'true',
      '--delete',
      'false',
      '--force',
      'false',
      '--local-dir',
      'x',
      '--force',
      'true',
    ]);
  });
});

describe('efsync', () => {
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

  it('names the flag in a bad-input message, and exits 1', async () => {
    const { out, err } = capture();
    const code = await main([...FLAGS, '--local-dir', 'models', '--keep-releases', '0'], {
      GITHUB_WORKSPACE: tempWorkspace(),
    });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual(['efsync: --keep-releases: 0 is out of range. Write a number from 1 to 100.']);
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

  it('refuses an unknown flag with the usage, exit 2', async () => {
    const { err } = capture();
    expect(await main(['--file-system', 'fs-12345678'])).toBe(2);
    expect(err[0]).toContain("efsync: Unknown option '--file-system'");
    expect(err[0]).toContain('Usage: efsync');
  });

  it('lists every input in --help', async () => {
    const { out } = capture();
    expect(await main(['--help'])).toBe(0);
    expect(out[0]).toContain('--file-system-id');
    expect(out[0]).toContain('--pip-target (default lib)');
  });
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
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...aws.env } },
    );
    expect(result.stderr).toContain('ec2_key_name is ignored');
    expect(result.stderr).toContain(
      'efsync: File system fs-0123456789abcdef0 does not exist in eu-central-1. Check file-system-id and aws-region.',
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
  });
});
