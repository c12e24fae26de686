// What the bench reads after a run: the EFS directory's inodes, the hash cache's entries, the test bed's request
// log, and the agent's own counts from the action's log.
import fs from 'node:fs';
import path from 'node:path';
import type { LogEntry } from '../../testbed/request-log.ts';

/** Regular files under the EFS directory, symlinks not followed: path → inode, and inode → size. */
export interface EfsSnapshot {
  paths: Map<string, bigint>;
  sizes: Map<bigint, number>;
}

export function snapshotEfs(dir: string): EfsSnapshot {
  const snap: EfsSnapshot = { paths: new Map(), sizes: new Map() };
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        const st = fs.lstatSync(full, { bigint: true });
        snap.paths.set(full, st.ino);
        snap.sizes.set(st.ino, Number(st.size));
      }
    }
  };
  walk(dir);
  return snap;
}

/** New inodes are files written; new names of inodes that existed before are hard links made. */
export function efsDelta(
  before: EfsSnapshot,
  after: EfsSnapshot,
): { filesWritten: number; bytesWritten: number; linksMade: number } {
  let filesWritten = 0;
  let bytesWritten = 0;
  let linksMade = 0;
  for (const [ino, size] of after.sizes) {
    if (!before.sizes.has(ino)) {
      filesWritten++;
      bytesWritten += size;
    }
  }
  for (const [p, ino] of after.paths) if (!before.paths.has(p) && before.sizes.has(ino)) linksMade++;
  return { filesWritten, bytesWritten, linksMade };
}

type CachedFile = [number, string, string, string, string, number];

/** Every entry of the hash cache: `<cache file>\0<path>` → [size, …, hashed at]. */
export function snapshotHashCache(dir: string): Map<string, CachedFile> {
  const out = new Map<string, CachedFile>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const data = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { files: Record<string, CachedFile> };
      for (const [rel, entry] of Object.entries(data.files)) out.set(`${name}\0${rel}`, entry);
    } catch {
      // a cache file being replaced: skipped
    }
  }
  return out;
}

/** Bytes and files hashed during a run: cache entries that are new or were hashed again. */
export function hashedDelta(
  before: Map<string, CachedFile>,
  after: Map<string, CachedFile>,
): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const [key, entry] of after) {
    if (before.get(key)?.[5] !== entry[5]) {
      files++;
      bytes += entry[0];
    }
  }
  return { files, bytes };
}

export function countCalls(entries: LogEntry[]): {
  calls: number;
  byService: Record<string, number>;
  instancesLaunched: number;
} {
  const byService: Record<string, number> = {};
  for (const e of entries) byService[e.service] = (byService[e.service] ?? 0) + 1;
  const instancesLaunched = entries.filter(
    (e) => e.operation === 'RunInstances' && e.status >= 200 && e.status < 300,
  ).length;
  return { calls: entries.length, byService, instancesLaunched };
}

/** What a run is billed for, read from the request log (costs.ts prices it). */
export interface Billing {
  /** Lambda Invoke calls answered 200, and their time at the front (the caller's wait), seconds. */
  invocations: number;
  invokeSeconds: number;
  /** Each instance launched: its type, its root volume as RunInstances asked for it, and from launch to termination
   * (absent if the run left it running, warm). */
  launches: { type: string; volumeGiB: number; seconds?: number }[];
}

export function billingOf(entries: LogEntry[]): Billing {
  const ok = (e: LogEntry) => e.status >= 200 && e.status < 300;
  const at = (e: LogEntry) => Date.parse(e.time) + e.ms;
  const invokes = entries.filter((e) => e.service === 'lambda' && e.operation === 'Invoke' && ok(e));
  const terminations = entries.filter((e) => e.operation === 'TerminateInstances' && ok(e)).map(at);
  const launches = entries
    .filter((e) => e.operation === 'RunInstances' && ok(e))
    .map((e) => {
      const launched = at(e);
      const ended = terminations.find((t) => t >= launched);
      return {
        type: e.params.InstanceType ?? '?',
        volumeGiB: Number(e.params['BlockDeviceMapping.1.Ebs.VolumeSize'] ?? Number.NaN),
        ...(ended !== undefined && { seconds: (ended - launched) / 1000 }),
      };
    });
  return {
    invocations: invokes.length,
    invokeSeconds: invokes.reduce((sum, e) => sum + e.ms, 0) / 1000,
    launches,
  };
}

/** The agent's "release … built: N files written (…), M linked" lines, summed over targets. */
export function agentCounts(stdout: string): { filesWritten: number; filesLinked: number } {
  let filesWritten = 0;
  let filesLinked = 0;
  for (const m of stdout.matchAll(/release \S+ built: (\d+) files written \([^)]*\), (\d+) linked/g)) {
    filesWritten += Number(m[1]);
    filesLinked += Number(m[2]);
  }
  return { filesWritten, filesLinked };
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median of each numeric leaf over runs of the same shape. */
export function medianOf<T>(runs: T[]): T {
  const first = runs[0] as unknown;
  if (typeof first === 'number') return median(runs as number[]) as T;
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = medianOf(runs.map((r) => (r as Record<string, unknown>)[key]));
    return out as T;
  }
  return first as T;
}

export async function timeIt<T>(task: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await task();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}
