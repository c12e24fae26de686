// The efsync command's flags, before any AWS call: switches, bad input, unknown flags, --help.
import { afterEach, describe, expect, it, vi } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { main, normalizeSwitches } from '../../src/cli/main.js';
import { tempWorkspace } from '../support/config.ts';
import { capture } from '../support/console.ts';

const FLAGS = [
  '--aws-region',
  'eu-central-1',
  '--file-system-id',
  'fs-0123456789abcdef0',
  '--staging-bucket',
  'efsync-staging',
];

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
  it('names the flag in a bad-input message, and exits 1', async () => {
    const { out, err } = capture();
    const code = await main([...FLAGS, '--local-dir', 'models', '--keep-releases', '0'], {
      GITHUB_WORKSPACE: tempWorkspace(),
    });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual(['efsync: --keep-releases: 0 is out of range. Write a number from 1 to 100.']);
  });

  it('refuses an unknown flag in one line that guesses the flag meant and points at --help, exit 2', async () => {
    const { err } = capture();
    expect(await main(['--file-system', 'fs-12345678'])).toBe(2);
    expect(err).toEqual([
      "efsync: Unknown option '--file-system' (did you mean --file-system-id?). Run efsync --help for the flags.",
    ]);
  });

  it('refuses a stray argument and a flag without its value, exit 2', async () => {
    const { err } = capture();
    expect(await main(['models'])).toBe(2);
    expect(await main(['--mode'])).toBe(2);
    expect(err[0]).toContain("Unexpected argument 'models'");
    expect(err[1]).toContain("Option '--mode <value>' argument missing");
    // One period between Node's message and the pointer at --help, never two.
    for (const line of err) expect(line).not.toMatch(/\.\. Run efsync --help/);
    for (const line of err) expect(line).toMatch(/[^.]\. Run efsync --help for the flags\.$/);
  });

  it('lists every input in --help, with its default', async () => {
    const { out } = capture();
    expect(await main(['--help'])).toBe(0);
    const help = out.join('\n');
    expect(help).toContain('--file-system-id <value>');
    expect(help).toContain('--pip-target <value>  (default: lib)');
    expect(help).toContain('--dry-run [true|false], --no-dry-run  (default: false)');
  });

  it('prints the version of the package with --version', async () => {
    const { out } = capture();
    expect(await main(['--version'])).toBe(0);
    expect(out).toEqual([`efsync ${packageJson.version}`]);
  });
});
