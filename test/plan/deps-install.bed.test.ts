// installDependencies with the real pip, offline: wheels built by scripts/make-wheels.py and --no-index.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepsSource } from '../../src/config/types.js';
import { findInterpreter, systemFinder } from '../../src/plan/bytecode.js';
import { DependencyError } from '../../src/plan/deps.js';
import { installDependencies, resolveInstaller } from '../../src/plan/deps-install.js';

const MAKE_WHEELS = path.join(import.meta.dirname, '../../scripts/make-wheels.py');
const RUNNER_PYTHON = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
  encoding: 'utf8',
}).trim();
const OTHER_PYTHON = RUNNER_PYTHON === '3.12' ? '3.13' : '3.12';

let workspace: string;
let wheels: string;

beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-deps-'));
  wheels = path.join(workspace, 'wheels');
  execFileSync('python3', [
    MAKE_WHEELS,
    wheels,
    'efsync-alpha==1.0:efsync-beta>=2',
    'efsync-beta==2.0',
    'efsync-needs-ghost==1.0:efsync-ghost',
    'sdist:efsync-sdist-only==0.1',
  ]);
});
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

function deps(requirements: string, extra: Partial<DepsSource> = {}): DepsSource {
  const file = `req-${Math.random().toString(36).slice(2)}.txt`;
  fs.writeFileSync(path.join(workspace, file), requirements);
  return {
    requirements: file,
    pythonVersion: OTHER_PYTHON,
    architecture: 'x86_64',
    target: 'lib',
    pipArgs: ['--no-index', '--find-links', wheels],
    installer: 'pip',
    compile: 'auto',
    ...extra,
  };
}

async function failure(source: DepsSource): Promise<string> {
  const error = await installDependencies(source, workspace, path.join(workspace, 'build-fail'), () => {}).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return (error as Error).message;
}

describe('installDependencies with pip', () => {
  it('installs the packages and their dependencies into the build dir and returns its tree', async () => {
    const build = path.join(workspace, 'build');
    fs.mkdirSync(build);
    fs.writeFileSync(path.join(build, 'stale.txt'), 'left from an earlier run');
    const lines: string[] = [];
    const tree = await installDependencies(deps('efsync-alpha==1.0\n'), workspace, build, (line) => lines.push(line));
    const paths = tree.files.map((f) => f.path);
    expect(paths).toContain('efsync_alpha/__init__.py');
    expect(paths).toContain('efsync_beta/__init__.py');
    expect(paths).toContain('efsync_alpha-1.0.dist-info/METADATA');
    expect(paths).not.toContain('stale.txt');
    expect(paths.some((p) => p.endsWith('.pyc'))).toBe(false);
    expect(tree.dirs.map((d) => d.path)).toEqual(expect.arrayContaining(['efsync_alpha', 'efsync_beta']));
    expect(fs.readFileSync(path.join(build, 'efsync_beta/__init__.py'), 'utf8')).toContain('__version__ = "2.0"');
    expect(lines[0]).toMatch(new RegExp(`^Installing req-.*\\.txt for python${OTHER_PYTHON} on x86_64 with pip `));
    expect(lines.some((line) => line.includes('Successfully installed efsync-alpha-1.0 efsync-beta-2.0'))).toBe(true);
  });

  it("writes no .pyc without a compiler, even when the runner's Python is the target version", async () => {
    const build = path.join(workspace, 'build-plain');
    const source = deps('efsync-beta==2.0\n', { pythonVersion: RUNNER_PYTHON });
    const tree = await installDependencies(source, workspace, build, () => {});
    expect(tree.files.some((f) => f.path.endsWith('.pyc'))).toBe(false);
  });

  it('writes unchecked-hash .pyc files with the compiler, and lists them in the tree', async () => {
    const build = path.join(workspace, 'build-compiled');
    const source = deps('efsync-beta==2.0\n', { pythonVersion: RUNNER_PYTHON });
    const compiler = await findInterpreter(RUNNER_PYTHON, systemFinder());
    expect(compiler).toBeDefined();
    const lines: string[] = [];
    const access = { secrets: [], authenticated: [] };
    const tree = await installDependencies(source, workspace, build, (l) => lines.push(l), undefined, access, compiler);
    const tag = RUNNER_PYTHON.replace('.', '');
    const pyc = `efsync_beta/__pycache__/__init__.cpython-${tag}.pyc`;
    expect(tree.files.map((f) => f.path)).toContain(pyc);
    // PEP 552: the flags word after the magic number is 0b01, hash-based and unchecked.
    expect(fs.readFileSync(path.join(build, pyc)).readUInt32LE(4)).toBe(0b01);
    expect(lines).toContain(`Compiling .pyc (unchecked-hash) with Python ${compiler?.version}`);
  });

  it('names a package that does not exist', async () => {
    expect(await failure(deps('efsync-nowhere==1.0\n'))).toBe(
      `efsync-nowhere==1.0 has no wheel for python${OTHER_PYTHON} on manylinux x86_64 (it may publish only a source ` +
        'distribution, or not exist): pin a version that has wheels, or build it on Amazon Linux and publish it ' +
        'with local-dir.',
    );
  });

  it('names a package that publishes only a source distribution', async () => {
    expect(await failure(deps('efsync-sdist-only\n', { architecture: 'arm64' }))).toMatch(
      /^efsync-sdist-only has no wheel for python3\.\d+ on manylinux aarch64/,
    );
  });

  it('names a missing dependency of a dependency', async () => {
    expect(await failure(deps('efsync-needs-ghost\n'))).toMatch(/^efsync-ghost has no wheel for /);
  });

  it("gives the tail of pip's output for any other failure", async () => {
    const message = await failure(deps('efsync-beta\n', { pipArgs: ['--no-such-option'] }));
    expect(message).toMatch(/^pip install failed \(exit code 2\)\. Its last lines:\n/);
    expect(message).toContain('no such option: --no-such-option');
  });

  it('says when the requirements file is missing', async () => {
    const source = { ...deps(''), requirements: 'nope/requirements.txt' };
    expect(await failure(source)).toBe('The requirements file nope/requirements.txt does not exist in the workspace.');
  });
});

describe('resolveInstaller', () => {
  const realPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

  /** Runs `body` with PATH holding only python3 and, if given, a fake uv. */
  async function withPath<T>(fakeUv: boolean, body: () => Promise<T>): Promise<T> {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-bin-'));
    fs.symlinkSync(realPython, path.join(bin, 'python3'));
    if (fakeUv) fs.writeFileSync(path.join(bin, 'uv'), '#!/bin/sh\necho "uv 0.9.9 (fake)"\n', { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      return await body();
    } finally {
      process.env.PATH = saved;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }

  it("takes pip when asked, and reports the runner's Python", async () => {
    const resolved = await withPath(true, () => resolveInstaller('pip'));
    expect(resolved).toMatchObject({ installer: 'pip', python: 'python3', runnerPythonVersion: RUNNER_PYTHON });
    expect(resolved.version).toMatch(/^pip \d+\.\d+/);
  });

  it('auto takes uv when it runs, else pip', async () => {
    expect(await withPath(true, () => resolveInstaller('auto'))).toMatchObject({
      installer: 'uv',
      version: 'uv 0.9.9 (fake)',
      runnerPythonVersion: RUNNER_PYTHON,
    });
    expect(await withPath(false, () => resolveInstaller('auto'))).toMatchObject({ installer: 'pip' });
  });

  it('refuses uv when it does not run', async () => {
    await expect(withPath(false, () => resolveInstaller('uv'))).rejects.toThrow(
      /installer is uv, but `uv --version` does not run on this runner/,
    );
  });
});
