import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashCacheDir } from '../../src/plan/hash-cache.js';
import { walkLocal } from '../../src/plan/local.js';
import { sha256 as sha } from '../support/hash.ts';

let base: string;
let root: string;
let cacheDir: string;
const saved = process.env.EFSYNC_HASH_CACHE;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-hash-cache-'));
  root = path.join(base, 'root');
  cacheDir = path.join(base, 'cache');
  fs.mkdirSync(root);
  process.env.EFSYNC_HASH_CACHE = cacheDir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.EFSYNC_HASH_CACHE;
  else process.env.EFSYNC_HASH_CACHE = saved;
  fs.rmSync(base, { recursive: true, force: true });
});

const FAKE = 'f'.repeat(64);

function write(rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

function cacheFile(): string {
  const files = fs.readdirSync(cacheDir);
  expect(files).toHaveLength(1);
  return path.join(cacheDir, files[0] as string);
}

type Cached = [number, string, string, string, string, number];

/** Rewrites the cached entries: a fake hash, and (unless racy) hashed long after the file last changed. */
function tamper(options: { racy?: boolean } = {}): Record<string, Cached> {
  const data = JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as { files: Record<string, Cached> };
  for (const entry of Object.values(data.files)) {
    entry[4] = FAKE;
    if (!options.racy) entry[5] += 60_000;
  }
  fs.writeFileSync(cacheFile(), JSON.stringify(data));
  return data.files;
}

const hashes = async () => Object.fromEntries((await walkLocal(root)).files.map((f) => [f.path, f.sha256]));

describe('the hash cache', () => {
  it('records every file of a walk under the root, in EFSYNC_HASH_CACHE', async () => {
    write('a.txt', 'alpha');
    write('dir/b.txt', 'beta');
    expect(await hashes()).toEqual({ 'a.txt': sha('alpha'), 'dir/b.txt': sha('beta') });
    const data = JSON.parse(fs.readFileSync(cacheFile(), 'utf8'));
    expect(data.root).toBe(fs.realpathSync(root));
    expect(Object.keys(data.files).sort()).toEqual(['a.txt', 'dir/b.txt']);
    expect(data.files['a.txt'][0]).toBe(5);
    expect(data.files['a.txt'][4]).toBe(sha('alpha'));
  });

  it('reuses a hash while size, times and inode are unchanged', async () => {
    write('a.txt', 'alpha');
    await walkLocal(root);
    tamper();
    // The fake hash can only come from the cache: the file was not read again.
    expect(await hashes()).toEqual({ 'a.txt': FAKE });
  });

  it('hashes again a file rewritten with the same size, even with its mtime put back', async () => {
    write('a.txt', 'alpha');
    const { mtime } = fs.statSync(path.join(root, 'a.txt'));
    await walkLocal(root);
    tamper();
    await new Promise((r) => setTimeout(r, 20));
    write('a.txt', 'ALPHA');
    fs.utimesSync(path.join(root, 'a.txt'), mtime, mtime);
    expect(await hashes()).toEqual({ 'a.txt': sha('ALPHA') });
  });

  it('hashes again a file whose size changed', async () => {
    write('a.txt', 'alpha');
    await walkLocal(root);
    tamper();
    fs.appendFileSync(path.join(root, 'a.txt'), '!');
    expect(await hashes()).toEqual({ 'a.txt': sha('alpha!') });
  });

  it('does not trust a hash taken right after the file changed (racy)', async () => {
    write('a.txt', 'alpha');
    await walkLocal(root);
    tamper({ racy: true });
    expect(await hashes()).toEqual({ 'a.txt': sha('alpha') });
  });

  it('forgets files that are gone', async () => {
    write('a.txt', 'alpha');
    write('b.txt', 'beta');
    await walkLocal(root);
    fs.rmSync(path.join(root, 'b.txt'));
    await walkLocal(root);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile(), 'utf8')).files)).toEqual(['a.txt']);
  });

  it('treats a corrupt cache as empty and replaces it', async () => {
    write('a.txt', 'alpha');
    await walkLocal(root);
    fs.writeFileSync(cacheFile(), '{not json');
    expect(await hashes()).toEqual({ 'a.txt': sha('alpha') });
    expect(JSON.parse(fs.readFileSync(cacheFile(), 'utf8')).files['a.txt'][4]).toBe(sha('alpha'));
  });

  it('still walks when the cache cannot be written', async () => {
    fs.writeFileSync(cacheDir, 'a file where the cache directory should be');
    write('a.txt', 'alpha');
    expect(await hashes()).toEqual({ 'a.txt': sha('alpha') });
  });

  it('is off with EFSYNC_HASH_CACHE=off', async () => {
    process.env.EFSYNC_HASH_CACHE = 'off';
    write('a.txt', 'alpha');
    await walkLocal(root);
    expect(fs.existsSync(cacheDir)).toBe(false);
  });
});

describe('hashCacheDir', () => {
  const home = os.homedir();
  it('prefers EFSYNC_HASH_CACHE, then the runner tool cache, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(hashCacheDir('/home/runner/work/repo', { EFSYNC_HASH_CACHE: '/c' })).toBe('/c');
    expect(
      hashCacheDir('/home/runner/work/repo', { EFSYNC_HASH_CACHE: 'off', RUNNER_TOOL_CACHE: '/t' }),
    ).toBeUndefined();
    expect(hashCacheDir('/home/runner/work/repo', { RUNNER_TOOL_CACHE: '/t', XDG_CACHE_HOME: '/x' })).toBe(
      '/t/efsync/hashes',
    );
    expect(hashCacheDir('/home/runner/work/repo', { XDG_CACHE_HOME: '/x' })).toBe('/x/efsync/hashes');
    expect(hashCacheDir('/home/runner/work/repo', {})).toBe(path.join(home, '.cache', 'efsync', 'hashes'));
  });

  it('leaves out directories under the temporary directories unless EFSYNC_HASH_CACHE is set', () => {
    expect(hashCacheDir('/runner/_temp/efsync-x', { RUNNER_TEMP: '/runner/_temp' })).toBeUndefined();
    expect(hashCacheDir(path.join(os.tmpdir(), 'efsync-x'), {})).toBeUndefined();
    expect(hashCacheDir(path.join(os.tmpdir(), 'efsync-x'), { EFSYNC_HASH_CACHE: '/c' })).toBe('/c');
  });
});
