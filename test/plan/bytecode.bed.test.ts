// compileTree with the machine's python3: unchecked-hash .pyc of its version, a module that does not compile left as
// source, and the same bytes for the same sources wherever they are compiled.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTree, findInterpreter, systemFinder } from '../../src/plan/bytecode.js';

describe('compileTree with the real python3', () => {
  const version = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  }).trim();

  it('writes hash-based unchecked .pyc for every module, and publishes one that does not compile as source', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-pyc-'));
    try {
      fs.mkdirSync(path.join(dir, 'pkg'));
      fs.writeFileSync(path.join(dir, 'pkg', '__init__.py'), 'X = 1\n');
      fs.writeFileSync(path.join(dir, 'pkg', 'broken.py'), 'print "python 2"\n');
      const interpreter = await findInterpreter(version, systemFinder());
      if (!interpreter) throw new Error(`no python${version}`);
      const lines: string[] = [];
      expect(await compileTree(interpreter, dir, (line) => lines.push(line))).toEqual({ failed: true });
      const cache = fs.readdirSync(path.join(dir, 'pkg', '__pycache__'));
      const tag = version.replace('.', '');
      expect(cache).toEqual([`__init__.cpython-${tag}.pyc`]);
      const magic = execFileSync(
        interpreter.executable,
        ['-c', 'import importlib.util as u; print(u.MAGIC_NUMBER.hex())'],
        {
          encoding: 'utf8',
        },
      ).trim();
      const pyc = fs.readFileSync(path.join(dir, 'pkg', '__pycache__', cache[0] ?? ''));
      expect(pyc.subarray(0, 4).toString('hex')).toBe(magic);
      expect(pyc.readUInt32LE(4)).toBe(0b01);
      expect(lines.some((line) => line.includes('broken.py'))).toBe(true);
      expect(lines.at(-1)).toMatch(/^Some modules do not compile with Python /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the same bytes for the same sources in another directory', async () => {
    const interpreter = await findInterpreter(version, systemFinder());
    if (!interpreter) throw new Error(`no python${version}`);
    const pycs: Buffer[] = [];
    for (const name of ['one', 'two']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `efsync-pyc-${name}-`));
      try {
        fs.mkdirSync(path.join(dir, 'pkg'));
        fs.writeFileSync(path.join(dir, 'pkg', 'mod.py'), 'def f(x):\n    return [x, "text", 1.5]\n');
        await compileTree(interpreter, dir, () => {});
        const tag = version.replace('.', '');
        pycs.push(fs.readFileSync(path.join(dir, 'pkg', '__pycache__', `mod.cpython-${tag}.pyc`)));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(pycs[0]?.equals(pycs[1] as Buffer)).toBe(true);
  });
});
