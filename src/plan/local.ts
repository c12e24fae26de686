/**
 * The tree of a local directory: regular files with size, permission mode and streamed sha256, and directories.
 * Symbolic links are followed only while they stay inside the root, so a repository can never publish a file from
 * elsewhere on the runner. Anything that is not a file, a directory or such a link is an error, not skipped:
 * silently leaving a file out of a model folder would be worse than stopping.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { within } from '../config/workspace.js';
import { mapLimit } from '../core/async.js';
import { EfsyncError, errorMessage } from '../core/errors.js';
import { type DirEntry, type FileEntry, publishedMode, type Tree } from '../core/tree.js';
import { HashCache } from './hash-cache.js';
import { sortTree } from './tree.js';

export const IGNORE_FILE = '.efsyncignore';
/** Files hashed at once: enough to keep a disk busy, few enough to keep open descriptors and memory flat. */
const HASH_CONCURRENCY = 8;
/** As Linux's MAXSYMLINKS: a longer chain is treated as a loop. */
const MAX_LINK_HOPS = 40;

export class LocalTreeError extends EfsyncError {}

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
    throw new LocalTreeError(`Cannot read the directory ${root}: ${errorMessage(error)}`);
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
      throw new LocalTreeError(`Cannot read ${IGNORE_FILE}: ${errorMessage(error)}`);
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
      walk.dirs.push({ path: rel, mode: publishedMode(stats.mode) });
      await walkDir(walk, realPath, rel, [...stack, realPath]);
    } else if (stats.isFile()) {
      walk.files.push({ path: rel, realPath, mode: publishedMode(stats.mode) });
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
    if (!within(walk.realRoot, lexical) && !within(walk.root, lexical)) {
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
      throw new LocalTreeError(`${describe()}, which cannot be read: ${errorMessage(error)}`);
    }
    if (!within(walk.realRoot, next)) {
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
    throw new LocalTreeError(`Cannot read ${file.path}: ${errorMessage(error)}`);
  }
  return { path: file.path, size, mode: file.mode, sha256: hash.digest('hex') };
}
