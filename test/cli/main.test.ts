// The efsync command: flags named like the inputs, --config with flags winning, JSON outputs on stdout.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, normalizeSwitches } from '../../src/cli/main.js';
import { tempWorkspace } from '../support/config.ts';
import { ROOT } from '../support/repo.ts';

const FLAGS = ['--aws-region', 'eu-west-1', '--file-system-id', 'fs-12345678', '--staging-bucket', 'stage-1'];

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
    const code = await main([...FLAGS, '--local-dir', 'models', '--dry-run'], { GITHUB_WORKSPACE: tempWorkspace() });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      changed: 'false',
      'local-path': '/mnt/efs/models',
      'efs-local-path': '/models',
    });
    expect(err).toContain('Publish workspace folder models to models (Lambda: /mnt/efs/models).');
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
      'efsync.yaml': 'efs_filesystem_id: fs-0fedcba9\naws_region: us-east-1\nefs_pip_dir: py\nrequirements: r.txt\n',
    });
    const { out } = capture();
    const code = await main(
      ['--config', 'efsync.yaml', '--staging-bucket', 'stage-1', '--pip-target', 'deps', '--dry-run'],
      {
        GITHUB_WORKSPACE: workspace,
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))['pip-path']).toBe('/mnt/efs/deps');
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
  it('runs the demo configuration from the repository', () => {
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
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ 'pip-path': '/mnt/efs/lib', 's3-path': '/mnt/efs/ml' });
    expect(result.stderr).toContain('ec2_key_name is ignored');
  });
});
