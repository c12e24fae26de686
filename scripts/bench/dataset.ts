// The bench's data set, generated once into a cache directory and reused: a workspace with a tree of large and
// small files (random bytes, so nothing compresses), 40 wheels built with scripts/make-wheels.py, and a
// requirements file naming them.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DatasetSpec {
  name: string;
  largeFiles: number;
  largeBytes: number;
  smallFiles: number;
  smallMin: number;
  smallMax: number;
  smallPerDir: number;
  wheels: number;
}

export const FULL: DatasetSpec = {
  name: 'full',
  largeFiles: 3,
  largeBytes: 300_000_000,
  smallFiles: 5000,
  smallMin: 10_000,
  smallMax: 100_000,
  smallPerDir: 100,
  wheels: 40,
};

export const QUICK: DatasetSpec = { ...FULL, name: 'quick', largeBytes: 20_000_000, smallFiles: 500 };

export interface Dataset {
  spec: DatasetSpec;
  workspace: string;
  /** Relative to the workspace: the tree published as local-dir, and its two halves. */
  localDir: string;
  smallDir: string;
  largeDir: string;
  wheelsDir: string;
  /** Relative path of the requirements file. */
  requirements: string;
  bytes: { small: number; large: number; total: number };
  files: { small: number; large: number };
  /** One small file the one-file change rewrites. */
  changeFile: string;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A reproducible size in [min, max] for small file i. */
function smallSize(spec: DatasetSpec, i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return spec.smallMin + Math.floor((x - Math.floor(x)) * (spec.smallMax - spec.smallMin + 1));
}

export function packageName(i: number): string {
  return `efsync-bench-pkg-${String(i).padStart(2, '0')}`;
}

export function ensureDataset(cacheDir: string, spec: DatasetSpec, log: (line: string) => void): Dataset {
  const workspace = path.join(cacheDir, spec.name, 'workspace');
  const marker = path.join(cacheDir, spec.name, 'dataset.json');
  const localDir = 'data';
  const dataset: Dataset = {
    spec,
    workspace,
    localDir,
    smallDir: `${localDir}/small`,
    largeDir: `${localDir}/large`,
    wheelsDir: path.join(workspace, 'wheels'),
    requirements: 'requirements.txt',
    bytes: { small: 0, large: spec.largeFiles * spec.largeBytes, total: 0 },
    files: { small: spec.smallFiles, large: spec.largeFiles },
    changeFile: `${localDir}/small/d00/f00000.bin`,
  };
  for (let i = 0; i < spec.smallFiles; i++) dataset.bytes.small += smallSize(spec, i);
  dataset.bytes.total = dataset.bytes.small + dataset.bytes.large;
  const ready =
    fs.existsSync(marker) && JSON.stringify(JSON.parse(fs.readFileSync(marker, 'utf8'))) === JSON.stringify(spec);
  if (ready) return dataset;

  log(`Generating the ${spec.name} data set in ${workspace} (once; reused from then on)…`);
  fs.rmSync(path.join(cacheDir, spec.name), { recursive: true, force: true });
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 1; i <= spec.largeFiles; i++) {
    const file = path.join(workspace, dataset.largeDir, `large-${i}.bin`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    for (let left = spec.largeBytes; left > 0; left -= chunk.length) {
      randomFillSync(chunk);
      fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
    fs.closeSync(fd);
  }
  for (let i = 0; i < spec.smallFiles; i++) {
    const dir = path.join(workspace, dataset.smallDir, `d${String(Math.floor(i / spec.smallPerDir)).padStart(2, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    const buf = Buffer.alloc(smallSize(spec, i));
    randomFillSync(buf);
    fs.writeFileSync(path.join(dir, `f${String(i).padStart(5, '0')}.bin`), buf);
  }
  // 40 pure-Python wheels, and a second version of the first one for the dependency bump.
  const specs = Array.from({ length: spec.wheels }, (_, i) => `${packageName(i + 1)}==1.0`);
  execFileSync('python3', [
    path.join(ROOT, 'scripts/make-wheels.py'),
    dataset.wheelsDir,
    ...specs,
    `${packageName(1)}==1.1`,
  ]);
  writeRequirements(dataset, '1.0');
  fs.writeFileSync(marker, JSON.stringify(spec));
  return dataset;
}

/** Pins every package at 1.0, the first one at `version`: a bump is writing the other version. */
export function writeRequirements(dataset: Dataset, version: string): void {
  const lines = Array.from({ length: dataset.spec.wheels }, (_, i) =>
    i === 0 ? `${packageName(1)}==${version}` : `${packageName(i + 1)}==1.0`,
  );
  fs.writeFileSync(path.join(dataset.workspace, dataset.requirements), `${lines.join('\n')}\n`);
}

/** The dependency bump: switches the first package's pin between 1.0 and 1.1, from what the file pins now. */
export function bumpRequirements(dataset: Dataset): string {
  const text = fs.readFileSync(path.join(dataset.workspace, dataset.requirements), 'utf8');
  const version = text.includes(`${packageName(1)}==1.0\n`) ? '1.1' : '1.0';
  writeRequirements(dataset, version);
  return version;
}

/** Rewrites the one small file with new bytes of the same size. */
export function changeOneFile(dataset: Dataset): number {
  const file = path.join(dataset.workspace, dataset.changeFile);
  const buf = Buffer.alloc(fs.statSync(file).size);
  randomFillSync(buf);
  fs.writeFileSync(file, buf);
  return buf.length;
}

/** Every regular file under a directory, absolute. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}
