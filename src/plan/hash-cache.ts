/**
 * A cache of file hashes on the runner, so that a warm runner hashes only what changed: sha256 by size, mtime,
 * ctime and inode. Only a speed-up: a miss, an unreadable or a missing cache simply means hashing again.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { within } from '../config/workspace.js';
import type { FileEntry } from '../core/tree.js';

/**
 * Where hashes are cached: `EFSYNC_HASH_CACHE` (a directory, or `off`), else `<RUNNER_TOOL_CACHE>/efsync/hashes` on a
 * runner, else `$XDG_CACHE_HOME/efsync/hashes` or `~/.cache/efsync/hashes`. Without `EFSYNC_HASH_CACHE`, directories
 * under the temporary directory (the dependency build directory, fresh every run) are not cached.
 */
export function hashCacheDir(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.EFSYNC_HASH_CACHE;
  if (explicit === 'off') return undefined;
  if (explicit) return path.resolve(explicit);
  for (const temp of [env.RUNNER_TEMP, os.tmpdir()]) {
    if (temp && within(path.resolve(temp), root)) return undefined;
  }
  if (env.RUNNER_TOOL_CACHE) return path.join(env.RUNNER_TOOL_CACHE, 'efsync', 'hashes');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'efsync', 'hashes');
}

/** A file as the cache knows it: [size, mtime ns, ctime ns, inode, sha256, when it was hashed (ms)]. */
type CachedFile = [number, string, string, string, string, number];

/** A file changed this close to its hashing may change again within the clock's resolution: never trusted. */
const RACY_MS = 2000;
const CACHE_VERSION = 1;

/**
 * sha256 by (size, mtime, ctime, inode) of the files under one root, in one JSON file named by a hash of the root's
 * absolute path. ctime cannot be set back by `touch`, and any restore or checkout makes a new one, so a stale hit
 * would need a write that keeps the size and lands within the same nanosecond stamps. Rewritten after each walk
 * with the files that walk saw, so it never grows beyond the tree.
 */
export class HashCache {
  private readonly seen = new Map<string, CachedFile>();
  private readonly stats = new Map<string, BigIntStats>();

  private readonly file: string;
  private readonly rootPath: string;
  private readonly known: Map<string, CachedFile>;

  private constructor(file: string, rootPath: string, known: Map<string, CachedFile>) {
    this.file = file;
    this.rootPath = rootPath;
    this.known = known;
  }

  static async open(realRoot: string): Promise<HashCache | undefined> {
    const dir = hashCacheDir(realRoot);
    if (!dir) return undefined;
    const file = path.join(dir, `${createHash('sha256').update(realRoot).digest('hex').slice(0, 32)}.json`);
    const known = new Map<string, CachedFile>();
    try {
      const data = JSON.parse(await fs.readFile(file, 'utf8')) as { version?: number; root?: string; files?: unknown };
      if (data.version === CACHE_VERSION && data.root === realRoot && data.files && typeof data.files === 'object') {
        for (const [rel, value] of Object.entries(data.files as Record<string, unknown>)) {
          if (Array.isArray(value) && value.length === 6 && /^[0-9a-f]{64}$/.test(String(value[4]))) {
            known.set(rel, value as CachedFile);
          }
        }
      }
    } catch {
      // Missing or unreadable: every file is hashed, as without a cache.
    }
    return new HashCache(file, realRoot, known);
  }

  private static key(stats: BigIntStats): [number, string, string, string] {
    return [Number(stats.size), String(stats.mtimeNs), String(stats.ctimeNs), String(stats.ino)];
  }

  /** The cached hash of a file, if its size, times and inode are those it had when it was hashed. */
  async lookup(rel: string, realPath: string): Promise<{ size: number; sha256: string } | undefined> {
    let stats: BigIntStats;
    try {
      stats = await fs.stat(realPath, { bigint: true });
    } catch {
      return undefined;
    }
    this.stats.set(rel, stats);
    const cached = this.known.get(rel);
    if (!cached) return undefined;
    const [size, mtime, ctime, ino] = HashCache.key(stats);
    const changedAt = Number((stats.mtimeNs > stats.ctimeNs ? stats.mtimeNs : stats.ctimeNs) / 1_000_000n);
    if (
      cached[0] !== size ||
      cached[1] !== mtime ||
      cached[2] !== ctime ||
      cached[3] !== ino ||
      cached[5] - changedAt < RACY_MS
    ) {
      return undefined;
    }
    this.seen.set(rel, cached);
    return { size, sha256: cached[4] };
  }

  /** Records a hash just computed, only if the file looks the same as before it was read. */
  async remember(rel: string, realPath: string, entry: FileEntry): Promise<void> {
    const before = this.stats.get(rel);
    if (!before || !entry.sha256) return;
    let after: BigIntStats;
    try {
      after = await fs.stat(realPath, { bigint: true });
    } catch {
      return;
    }
    const key = HashCache.key(after);
    if (key.join() !== HashCache.key(before).join() || key[0] !== entry.size) return;
    this.seen.set(rel, [...key, entry.sha256, Date.now()]);
  }

  /** Writes the files of this walk, atomically; a cache that cannot be written is only a lost speed-up. */
  async save(): Promise<void> {
    const target = this.file;
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      const files = Object.fromEntries([...this.seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      await fs.writeFile(tmp, JSON.stringify({ version: CACHE_VERSION, root: this.rootPath, files }));
      await fs.rename(tmp, target);
    } catch {
      // Ignored: the next walk hashes again.
      await fs.rm(tmp, { force: true }).catch(() => {});
    }
  }
}
