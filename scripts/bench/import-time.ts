// What `.pyc` files save a cold start: a tree of about 2,000 modules in 40 packages, imported by the target
// interpreter in fresh processes, once from sources alone (every module compiled on import, nothing written: the
// EFS of a Lambda is read-only for this purpose, PYTHONDONTWRITEBYTECODE=1) and once with .pyc written by
// `compileall --invalidation-mode unchecked-hash` (no source is read or stat-checked against them).
//   node scripts/bench/import-time.ts [python3.11] [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const python = process.argv[2] ?? 'python3';
const runs = Number(process.argv[3] ?? 5);
const PACKAGES = 40;
const MODULES = 50;

function makeTree(root: string): void {
  for (let p = 0; p < PACKAGES; p++) {
    const dir = path.join(root, `pkg${p}`);
    fs.mkdirSync(dir, { recursive: true });
    const imports = Array.from({ length: MODULES }, (_, m) => `from . import mod${m}`).join('\n');
    fs.writeFileSync(path.join(dir, '__init__.py'), `${imports}\n`);
    for (let m = 0; m < MODULES; m++) {
      // About 60 lines each: classes, functions and constants, as library modules have.
      const body = Array.from(
        { length: 6 },
        (_, k) =>
          `class C${k}:\n    """Class ${k}."""\n    def __init__(self, x={${k}: 'a', 'b': [1, 2, 3]}):\n        self.x = x\n` +
          `    def run(self, n):\n        return sum(i * ${k} for i in range(n)) + len(self.x)\n\n` +
          `def f${k}(a, b=${k}, *args, **kw):\n    return [a, b, args, kw, "${'x'.repeat(40)}"]\n`,
      ).join('\n');
      fs.writeFileSync(path.join(dir, `mod${m}.py`), `import os, re\nCONST = ${m}\n${body}\n`);
    }
  }
}

function importSeconds(root: string, env: NodeJS.ProcessEnv): number {
  const code = `import time, sys\nt = time.perf_counter()\n${Array.from({ length: PACKAGES }, (_, p) => `import pkg${p}`).join('\n')}\nprint(time.perf_counter() - t)`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(python, ['-c', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    times.push(Number(result.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-import-'));
try {
  makeTree(root);
  const version = execFileSync(python, ['-c', 'import sys; print(sys.version.split()[0])'], {
    encoding: 'utf8',
  }).trim();
  const sources = importSeconds(root, { PYTHONDONTWRITEBYTECODE: '1' });
  execFileSync(python, ['-m', 'compileall', '-q', '--invalidation-mode', 'unchecked-hash', '-j0', root]);
  const compiled = importSeconds(root, { PYTHONDONTWRITEBYTECODE: '1' });
  console.log(
    `Python ${version}, ${PACKAGES * (MODULES + 1)} modules, median of ${runs} fresh processes: ` +
      `sources only ${sources.toFixed(3)} s, unchecked-hash .pyc ${compiled.toFixed(3)} s, ratio ${(sources / compiled).toFixed(1)}×`,
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
