/**
 * The tree of a local directory: regular files with size, permission mode and streamed sha256, and directories.
 * Symbolic links are followed only while they stay inside the root, so a repository can never publish a file from
 * elsewhere on the runner. Anything that is not a file, a directory or such a link is an error, not skipped:
 * silently leaving a file out of a model folder would be worse than stopping.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats, Stats } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { DirEntry, FileEntry, Tree } from '../core/tree.js';
import { sortTree } from './tree.js';

export const IGNORE_FILE = '.efsyncignore';
/** Files hashed at once: enough to keep a disk busy, few enough to keep open descriptors and memory flat. */
const HASH_CONCURRENCY = 8;
/** As Linux's MAXSYMLINKS: a longer chain is treated as a loop. */
const MAX_LINK_HOPS = 40;

export class LocalTreeError extends Error {
  override name = 'LocalTreeError';
}

interface PendingFile {
  path: string;
  /** Where the content really is, links resolved. */
  realPath: string;
  mode: number;
}

interface Walk {
  root: string;
  realRoot: string;
  rules: Ignore;
  files: PendingFile[];
  dirs: DirEntry[];
}

export async function walkLocal(root: string): Promise<Tree> {
  const absoluteRoot = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = await fs.realpath(absoluteRoot);
    if (!(await fs.stat(realRoot)).isDirectory()) throw new LocalTreeError(`${root} is not a directory.`);
  } catch (error) {
    if (error instanceof LocalTreeError) throw error;
    throw new LocalTreeError(`Cannot read the directory ${root}: ${(error as Error).message}`);
  }
  const walk: Walk = { root: absoluteRoot, realRoot, rules: await readIgnoreRules(realRoot), files: [], dirs: [] };
  await walkDir(walk, realRoot, '', [realRoot]);
  // Hashes of files unchanged since an earlier walk (same size, mtime, ctime, inode) come from a cache on the
  // runner: only a speed-up, so a miss, an unreadable or a missing cache simply means hashing again.
  const cache = await HashCache.open(realRoot);
  const files = await mapLimit(walk.files, HASH_CONCURRENCY, async (file) => {
    const known = await cache?.lookup(file.path, file.realPath);
    if (known) return { path: file.path, size: known.size, mode: file.mode, sha256: known.sha256 };
    const entry = await hashFile(file);
    await cache?.remember(file.path, file.realPath, entry);
    return entry;
  });
  await cache?.save();
  return sortTree({ files, dirs: walk.dirs });
}

async function readIgnoreRules(realRoot: string): Promise<Ignore> {
  const rules = ignore();
  try {
    rules.add(await fs.readFile(path.join(realRoot, IGNORE_FILE), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LocalTreeError(`Cannot read ${IGNORE_FILE}: ${(error as Error).message}`);
    }
  }
  return rules;
}

/**
 * `realDir` is the directory's resolved location, `relDir` its path in the tree; they differ below a followed link.
 * `stack` holds the resolved directories from the root down to here, to recognise a link back to one of them.
 */
async function walkDir(walk: Walk, realDir: string, relDir: string, stack: string[]): Promise<void> {
  // Names as bytes: a name that is not UTF-8 cannot be carried in the JSON manifest, so it is refused by name.
  const names = await fs.readdir(realDir, { encoding: 'buffer' }).catch((error: Error) => {
    throw new LocalTreeError(`Cannot list ${relDir || '.'}: ${error.message}`);
  });
  for (const raw of names) {
    const name = raw.toString('utf8');
    const rel = relDir ? `${relDir}/${name}` : name;
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      throw new LocalTreeError(`${JSON.stringify(rel)} has a name that is not valid UTF-8: rename it.`);
    }
    if (rel === IGNORE_FILE) continue;
    const entryPath = path.join(realDir, name);
    let stats = await fs.lstat(entryPath).catch((error: Error) => {
      throw new LocalTreeError(`Cannot read ${rel}: ${error.message}`);
    });
    let realPath = entryPath;
    let linkChain = '';
    if (stats.isSymbolicLink() || stats.isDirectory()) {
      // Directory patterns ('build/') match only with the trailing slash; links are tested as they look.
      if (walk.rules.ignores(stats.isDirectory() ? `${rel}/` : rel)) continue;
    } else if (walk.rules.ignores(rel)) {
      continue;
    }
    if (stats.isSymbolicLink()) {
      ({ realPath, stats, linkChain } = await resolveLink(walk, entryPath, rel));
      if (stats.isDirectory() && walk.rules.ignores(`${rel}/`)) continue;
    }
    if (stats.isDirectory()) {
      if (stack.includes(realPath)) {
        const where = path.relative(walk.realRoot, realPath) || 'the root';
        throw new LocalTreeError(
          `${rel} is a symbolic link to ${linkChain}, which is ${where}: a directory that contains the link itself, ` +
            'so following it would never end. Remove the link or list it in .efsyncignore.',
        );
      }
      walk.dirs.push({ path: rel, mode: stats.mode & 0o777 });
      await walkDir(walk, realPath, rel, [...stack, realPath]);
    } else if (stats.isFile()) {
      walk.files.push({ path: rel, realPath, mode: stats.mode & 0o777 });
    } else {
      throw new LocalTreeError(
        `${rel} is ${kindOf(stats)}: only regular files, directories and symbolic links can be published. ` +
          'Remove it or list it in .efsyncignore.',
      );
    }
  }
}

function kindOf(stats: Stats): string {
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Follows a link one hop at a time, so a chain that leaves the root and comes back is refused too: its content
 * would then depend on something outside the repository.
 */
async function resolveLink(
  walk: Walk,
  linkPath: string,
  rel: string,
): Promise<{ realPath: string; stats: Stats; linkChain: string }> {
  const chain: string[] = [];
  const describe = () => `${rel} is a symbolic link to ${chain.join(' -> ')}`;
  let current = linkPath;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const target = await fs.readlink(current);
    chain.push(target);
    const lexical = path.resolve(path.dirname(current), target);
    if (!inside(walk.realRoot, lexical) && !inside(walk.root, lexical)) {
      throw new LocalTreeError(`${describe()}, which is outside ${walk.root}: only links inside it can be published.`);
    }
    // The directories on the way may be links themselves; resolve them to see where the hop really lands.
    let next: string;
    let stats: Stats;
    try {
      next = path.join(await fs.realpath(path.dirname(lexical)), path.basename(lexical));
      stats = await fs.lstat(next);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new LocalTreeError(`${describe()}, which does not exist. Fix or remove the link.`);
      }
      throw new LocalTreeError(`${describe()}, which cannot be read: ${(error as Error).message}`);
    }
    if (!inside(walk.realRoot, next)) {
      throw new LocalTreeError(`${describe()}, which is outside ${walk.root}: only links inside it can be published.`);
    }
    if (!stats.isSymbolicLink()) return { realPath: next, stats, linkChain: chain.join(' -> ') };
    current = next;
  }
  throw new LocalTreeError(`${describe()}: too many links in a row (a loop?).`);
}

/** Files up to this size are read in one call; a stream per file costs more than thousands of small files' bytes. */
const SMALL_FILE = 1024 * 1024;

async function hashFile(file: PendingFile): Promise<FileEntry> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    const handle = await fs.open(file.realPath, 'r');
    try {
      const known = (await handle.stat()).size;
      if (known <= SMALL_FILE) {
        // Read to the end even if it grew since the stat: the size is what was hashed.
        let buffer = Buffer.allocUnsafe(Math.max(known, 1) + 1);
        for (;;) {
          if (size === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
          const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
          if (bytesRead === 0) break;
          size += bytesRead;
        }
        hash.update(buffer.subarray(0, size));
      } else {
        // Streamed: memory stays flat whatever the file size. The size is what was hashed, so the two agree even
        // if the file changed after it was listed.
        for await (const chunk of handle.createReadStream({ highWaterMark: SMALL_FILE, autoClose: false })) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new LocalTreeError(`Cannot read ${file.path}: ${(error as Error).message}`);
  }
  return { path: file.path, size, mode: file.mode, sha256: hash.digest('hex') };
}

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
    if (temp && inside(path.resolve(temp), root)) return undefined;
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

/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
