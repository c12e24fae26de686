// What `.pyc` files save a cold start: a tree of about 2,000 modules in 40 packages, imported by the target
// interpreter in fresh processes, once from sources alone (every module compiled on import, nothing written: the
// EFS of a Lambda is read-only for this purpose, PYTHONDONTWRITEBYTECODE=1) and once with .pyc written by
// `compileall --invalidation-mode unchecked-hash` (no source is read or stat-checked against them), as the action's
// `compile` input writes them.
//   node scripts/bench/import-time.ts [python3.11] [runs]
//   npm run bench -- --only import-time [--python python3.11] [--runs 5] [--out FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PACKAGES = 40;
const MODULES = 50;

/** The figures of one measurement; seconds are medians over `runs` fresh processes (docs/bench.md). */
export interface ImportTime {
  python: { executable: string; version: string };
  packages: number;
  modules: number;
  runs: number;
  sourcesSeconds: number;
  compiledSeconds: number;
  /** sourcesSeconds / compiledSeconds: how many times faster the import is with the .pyc. */
  ratio: number;
  perRun: { sourcesSeconds: number[]; compiledSeconds: number[] };
}

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

function importTimes(python: string, root: string, runs: number): number[] {
  const code = `import time, sys\nt = time.perf_counter()\n${Array.from({ length: PACKAGES }, (_, p) => `import pkg${p}`).join('\n')}\nprint(time.perf_counter() - t)`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    const result = spawnSync(python, ['-c', code], { cwd: root, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    times.push(Number(result.stdout.trim()));
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Builds the tree in a temporary directory, imports it without and with .pyc, and removes it. */
export function measureImportTime(python = 'python3', runs = 5): ImportTime {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-import-'));
  try {
    makeTree(root);
    const [version = '', executable = ''] = execFileSync(
      python,
      ['-c', 'import sys; print(sys.version.split()[0]); print(sys.executable)'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    const sources = importTimes(python, root, runs);
    execFileSync(python, ['-m', 'compileall', '-q', '--invalidation-mode', 'unchecked-hash', '-j', '0', root]);
    const compiled = importTimes(python, root, runs);
    const [sourcesSeconds, compiledSeconds] = [median(sources), median(compiled)];
    return {
      python: { executable, version },
      packages: PACKAGES,
      modules: PACKAGES * (MODULES + 1),
      runs,
      sourcesSeconds,
      compiledSeconds,
      ratio: sourcesSeconds / compiledSeconds,
      perRun: { sourcesSeconds: sources, compiledSeconds: compiled },
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The one line the bench prints. */
export function formatImportTime(r: ImportTime): string {
  return (
    `import-time: Python ${r.python.version}, ${r.modules} modules, median of ${r.runs} fresh processes: ` +
    `sources only ${r.sourcesSeconds.toFixed(3)} s, unchecked-hash .pyc ${r.compiledSeconds.toFixed(3)} s, ` +
    `ratio ${r.ratio.toFixed(1)}×`
  );
}

/** `npm run bench -- --only import-time`: the line, and the figures as JSON (docs/bench.md) in `out`. */
export function importTimeOnly(
  options: { python?: string | undefined; runs?: string | undefined; out?: string | undefined },
  root: string,
): void {
  const result = measureImportTime(options.python, Number(options.runs ?? 5));
  const date = new Date().toISOString();
  console.log(formatImportTime(result));
  const out = path.resolve(
    options.out ?? path.join(root, 'bench-results', `import-time-${date.replace(/[:.]/g, '-')}.json`),
  );
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const machine = { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', kernel: os.release() };
  fs.writeFileSync(out, `${JSON.stringify({ version: 1, kind: 'import-time', date, machine, ...result }, null, 2)}\n`);
  process.stderr.write(`bench: figures written to ${path.relative(process.cwd(), out)}\n`);
}

if (import.meta.main) console.log(formatImportTime(measureImportTime(process.argv[2], Number(process.argv[3] ?? 5))));
