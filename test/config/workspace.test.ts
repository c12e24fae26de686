// local-dir, requirements (with its -r/-c includes) and config are confined to the workspace's real path: a symbolic
// link out of the workspace is refused with one error naming the input, before any AWS call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realPathOf, within } from '../../src/config/workspace.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load, loadError, tempWorkspace } from '../support/config.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A workspace and, beside it, a folder standing for the runner's home with secrets in it. */
function setup(files: Record<string, string> = {}) {
  const workspace = tempWorkspace(files);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-home-'));
  made.push(workspace, home);
  fs.mkdirSync(path.join(home, '.ssh'));
  fs.writeFileSync(path.join(home, '.ssh/id_ed25519'), 'PRIVATE KEY\n');
  fs.writeFileSync(path.join(home, 'credentials'), '[default]\n');
  fs.writeFileSync(path.join(home, 'reqs.txt'), 'requests==2.32.3\n');
  return { workspace, home };
}

describe('realPathOf', () => {
  it('resolves the existing folders of a path that does not exist yet', () => {
    const { workspace, home } = setup();
    fs.symlinkSync(home, path.join(workspace, 'out'));
    expect(realPathOf(path.join(workspace, 'out/new/file'))).toBe(path.join(fs.realpathSync(home), 'new/file'));
    expect(within(fs.realpathSync(workspace), realPathOf(path.join(workspace, 'out/new')))).toBe(false);
  });
});

describe('confinement by real path', () => {
  it('refuses a local-dir that is a symbolic link to a folder outside the workspace', () => {
    const { workspace, home } = setup();
    fs.symlinkSync(home, path.join(workspace, 'models'));
    const message = loadError(INPUTS.LOCAL, { workspace });
    expect(message).toMatch(/^Input 'local-dir': 'models' is a symbolic link, or lies under one, that leads outside/);
    expect(message).toContain(fs.realpathSync(home));
  });

  it('refuses a local-dir under a linked folder', () => {
    const { workspace, home } = setup();
    fs.symlinkSync(home, path.join(workspace, 'data'));
    expect(loadError({ ...INPUTS.LOCAL, 'local-dir': 'data/.ssh' }, { workspace })).toMatch(/^Input 'local-dir'/);
  });

  it('takes a local-dir linked inside the workspace, and the workspace itself reached through a link', () => {
    const { workspace } = setup({ 'real/models/a.txt': 'a\n' });
    fs.symlinkSync(path.join(workspace, 'real/models'), path.join(workspace, 'models'));
    expect(load(INPUTS.LOCAL, { workspace }).config.local?.dir).toBe('models');
    const alias = path.join(os.tmpdir(), `efsync-alias-${process.pid}`);
    fs.rmSync(alias, { force: true });
    fs.symlinkSync(workspace, alias);
    try {
      expect(load(INPUTS.LOCAL, { workspace: alias }).config.local?.dir).toBe('models');
    } finally {
      fs.rmSync(alias);
    }
  });

  it('refuses a requirements file that is a link out of the workspace', () => {
    const { workspace, home } = setup();
    fs.symlinkSync(path.join(home, 'credentials'), path.join(workspace, 'requirements.txt'));
    expect(loadError(INPUTS.DEPS, { workspace })).toMatch(/^Input 'requirements': 'requirements.txt' leads outside/);
  });

  it('refuses an include out of the workspace, by path or by link, naming the file that includes it', () => {
    const { workspace, home } = setup({ 'requirements.txt': '-r base.txt\nnumpy\n', 'base.txt': '-c pins.txt\n' });
    fs.symlinkSync(path.join(home, 'reqs.txt'), path.join(workspace, 'pins.txt'));
    expect(loadError(INPUTS.DEPS, { workspace })).toMatch(
      /^Input 'requirements': 'pins.txt', included from 'base.txt', leads outside the workspace/,
    );
    fs.writeFileSync(path.join(workspace, 'base.txt'), `-r ${path.relative(workspace, path.join(home, 'reqs.txt'))}\n`);
    expect(loadError(INPUTS.DEPS, { workspace })).toMatch(/included from 'base.txt', leads outside the workspace/);
  });

  it('takes includes inside the workspace, URL includes and a missing include (planning names that one)', () => {
    const { workspace } = setup({
      'requirements.txt': '-r deps/base.txt\n-r https://example.invalid/r.txt\n-c missing.txt\n',
      'deps/base.txt': '-r ../requirements.txt\nnumpy\n',
    });
    expect(load(INPUTS.DEPS, { workspace }).config.deps?.requirements).toBe('requirements.txt');
  });

  it('refuses a config file linked out of the workspace before reading it', () => {
    const { workspace, home } = setup();
    fs.writeFileSync(path.join(home, 'efsync.yaml'), 'efs_filesystem_id: fs-0123456789abcdef0\n');
    fs.symlinkSync(path.join(home, 'efsync.yaml'), path.join(workspace, 'efsync.yaml'));
    expect(loadError({ config: 'efsync.yaml' }, { workspace })).toMatch(
      /^Input 'config': 'efsync.yaml' is a symbolic link/,
    );
  });
});
