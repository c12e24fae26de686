// End to end: `compile` ships the dependencies' .pyc files, written by an interpreter of the target version in
// hash-based unchecked mode (PEP 552), onto the test bed's EFS directory; turning it on or off republishes once, an
// unchanged setting is a no-op, a reinstall writes the same bytes, and `compile: true` without an interpreter fails
// before any AWS call.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { buildWheels, leftovers, makeWorkspace, readTree, runAction, saveRequestLog } from './support.ts';

/** An interpreter of pyenv's X.Y (the runner's python3.X may not run for a version pyenv does not activate). */
function pyenvPython(version: string): string | undefined {
  const versions = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions');
  if (!fs.existsSync(versions)) return undefined;
  return fs
    .readdirSync(versions)
    .filter((v) => v.startsWith(`${version}.`))
    .map((v) => path.join(versions, v, 'bin', `python${version}`))
    .find((p) => fs.existsSync(p));
}

/** The interpreter's own magic number (importlib.util.MAGIC_NUMBER), as hex. */
function magicOf(python: string): string {
  const code = 'import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())';
  return execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim();
}

function pythonMinor(command: string): string {
  const code = 'import sys; print("%d.%d" % sys.version_info[:2])';
  return execFileSync(command, ['-c', code], { encoding: 'utf8' }).trim();
}

/** PATH without any directory that holds uv, so `compile: true` cannot install an interpreter. */
function pathWithoutUv(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !fs.existsSync(path.join(dir, 'uv')))
    .join(path.delimiter);
}

/**
 * Every module of a published tree with its .pyc for the tag: the first 4 bytes are the interpreter's magic and
 * the flags word (bytes 4 to 8, little-endian) is 0b01, hash-based and unchecked.
 */
function expectCompiled(tree: Record<string, Buffer>, tag: string, magic: string): void {
  const modules = Object.keys(tree).filter((p) => p.endsWith('.py'));
  expect(modules.length).toBeGreaterThanOrEqual(2);
  for (const module of modules) {
    const pyc = path.posix.join(
      path.posix.dirname(module),
      '__pycache__',
      `${path.posix.basename(module, '.py')}.${tag}.pyc`,
    );
    const bytes = tree[pyc];
    expect(bytes, pyc).toBeDefined();
    expect(bytes?.subarray(0, 4).toString('hex'), pyc).toBe(magic);
    expect(bytes?.readUInt32LE(4), pyc).toBe(0b01);
  }
  // Nothing compiled by another interpreter is left in the tree.
  const others = Object.keys(tree).filter((p) => p.endsWith('.pyc') && !p.endsWith(`.${tag}.pyc`));
  expect(others).toEqual([]);
}

const python311 = pyenvPython('3.11');
const python312 = pyenvPython('3.12');
/** Whether a command runs: a python3.12 on PATH would be found before the tool cache. */
function runs(command: string): boolean {
  try {
    execFileSync(command, ['-c', ''], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let aws: LocalAws;
let workspace: string;
let wheels: string;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'requirements.txt': 'alpha==1.0\n' });
  wheels = buildWheels(workspace, ['alpha==1.0:beta>=2', 'beta==2.0']);
}, 60_000);
afterAll(async () => {
  await saveRequestLog(aws, 'bytecode');
  await aws.stop();
  fs.rmSync(workspace, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
});

const efs = (...parts: string[]) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, ...parts);
const deps = (extra: Record<string, string>) => ({
  requirements: 'requirements.txt',
  'pip-args': `--no-index --find-links ${wheels}`,
  'timeout-minutes': '5',
  ...extra,
});

describe('compile', { timeout: 240_000 }, () => {
  it.skipIf(python311 === undefined)(
    'true: every module in lib has a 3.11 unchecked-hash .pyc; again is a no-op; false, then true, republish once each',
    async () => {
      const magic = magicOf(python311 ?? '');
      const inputs = deps({ 'python-version': '3.11', compile: 'true', 'pip-target': 'lib' });
      const first = await runAction(aws, workspace, inputs);
      expect(first.stdout).not.toContain('::error::');
      expect(first.status).toBe(0);
      expect(first.outputs.changed).toBe('true');
      expect(first.stdout).toMatch(/\.pyc files \(unchecked-hash\) will be written by Python 3\.11\.\d+ /);
      const published = readTree(efs('lib'));
      expect(Object.keys(published)).toEqual(expect.arrayContaining(['alpha/__init__.py', 'beta/__init__.py']));
      expectCompiled(published, 'cpython-311', magic);

      const again = await runAction(aws, workspace, inputs);
      expect(again.status).toBe(0);
      expect(again.outputs.changed).toBe('false');
      expect(again.stdout).toContain('requirements, runtime, installer and compile are unchanged');

      const off = await runAction(aws, workspace, { ...inputs, compile: 'false' });
      expect(off.status).toBe(0);
      expect(off.outputs.changed).toBe('true');
      expect(off.stdout).toContain('No .pyc files: compile is false.');
      const plain = readTree(efs('lib'));
      expect(Object.keys(plain).filter((p) => p.includes('__pycache__'))).toEqual([]);
      expect(plain['alpha/__init__.py']).toEqual(published['alpha/__init__.py']);

      const on = await runAction(aws, workspace, inputs);
      expect(on.outputs.changed).toBe('true');
      const compiled = readTree(efs('lib'));
      expectCompiled(compiled, 'cpython-311', magic);

      // A new release key (a comment in the requirements) installs and compiles again, in a new build directory:
      // the same sources give the same .pyc bytes, so nothing is published.
      fs.appendFileSync(path.join(workspace, 'requirements.txt'), '# pinned\n');
      try {
        const reinstall = await runAction(aws, workspace, inputs);
        expect(reinstall.status).toBe(0);
        expect(reinstall.stdout).toContain('Compiling .pyc (unchecked-hash) with Python 3.11.');
        expect(reinstall.outputs.changed).toBe('false');
        expect(readTree(efs('lib'))).toEqual(compiled);
      } finally {
        fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'alpha==1.0\n');
      }
    },
  );

  it.skipIf(python312 === undefined || runs('python3.12') || pythonMinor('python3') === '3.12')(
    "auto finds actions/setup-python's interpreter in the runner's tool cache",
    async () => {
      // The layout setup-python leaves: $RUNNER_TOOL_CACHE/Python/<X.Y.Z>/x64/bin/python3.
      const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-toolcache-'));
      const full = path.basename(path.dirname(path.dirname(python312 ?? '')));
      const bin = path.join(toolCache, 'Python', full, 'x64', 'bin');
      fs.mkdirSync(bin, { recursive: true });
      fs.symlinkSync(python312 ?? '', path.join(bin, 'python3'));
      try {
        const inputs = deps({ 'python-version': '3.12', 'pip-target': 'lib312' });
        const step = await runAction(aws, workspace, inputs, { env: { RUNNER_TOOL_CACHE: toolCache } });
        expect(step.stdout).not.toContain('::error::');
        expect(step.status).toBe(0);
        expect(step.stdout).toContain(
          `will be written by Python ${full} (the runner's tool cache (Python ${full} x64)`,
        );
        expectCompiled(readTree(efs('lib312')), 'cpython-312', magicOf(python312 ?? ''));
      } finally {
        fs.rmSync(toolCache, { recursive: true, force: true });
      }
    },
  );

  it('true without an interpreter of the version (and no uv) fails before any AWS call, naming the fix', async () => {
    const before = (await aws.log()).length;
    const inputs = deps({ 'python-version': '3.14', compile: 'true', 'pip-target': 'lib314' });
    const step = await runAction(aws, workspace, inputs, { env: { PATH: pathWithoutUv(), RUNNER_TOOL_CACHE: '' } });
    expect(step.status).not.toBe(0);
    expect(step.stdout).toContain(
      '::error::compile is true, but no Python 3.14 runs on this runner to write the .pyc files.',
    );
    expect(step.stdout).toContain("Add actions/setup-python with python-version '3.14' before this step");
    expect(step.stdout).toContain('or set compile to false');
    // Neither step made a call: the main step stopped before its credentials, so the post step had nothing to do.
    expect((await aws.log()).slice(before).map((e) => e.operation)).toEqual([]);
    expect(fs.existsSync(efs('lib314'))).toBe(false);
  });
});
