import { describe, expect, it } from 'vitest';
import type { FileEntry, Tree } from '../../src/core/tree.js';
import { newReleaseId, sortTree, treeDigest } from '../../src/plan/tree.js';

const tree: Tree = {
  files: [
    { path: 'b.txt', size: 2, mode: 0o644, sha256: 'bb' },
    { path: 'a/z.bin', size: 1, mode: 0o755, sha256: 'aa' },
    { path: 'B.txt', size: 3, mode: 0o644, etag: 'e1' },
  ],
  dirs: [
    { path: 'a', mode: 0o755 },
    { path: 'A', mode: 0o700 },
  ],
};

describe('sortTree', () => {
  it('orders files and dirs by code unit, upper case before lower, whatever the locale', () => {
    const sorted = sortTree(tree);
    expect(sorted.files.map((f) => f.path)).toEqual(['B.txt', 'a/z.bin', 'b.txt']);
    expect(sorted.dirs.map((d) => d.path)).toEqual(['A', 'a']);
    expect(tree.files[0]?.path).toBe('b.txt');
  });
});

describe('treeDigest', () => {
  it('is a sha256 hex that ignores entry order and property order', () => {
    const digest = treeDigest(tree);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const reordered: Tree = {
      files: [...tree.files].reverse().map((f) => Object.fromEntries(Object.entries(f).reverse()) as typeof f),
      dirs: [...tree.dirs].reverse(),
    };
    expect(treeDigest(reordered)).toBe(digest);
  });

  it.each<[string, (file: FileEntry) => FileEntry]>([
    ['size', (file) => ({ ...file, size: 4 })],
    ['mode', (file) => ({ ...file, mode: 0o600 })],
    ['sha256', (file) => ({ ...file, sha256: 'cc' })],
    ['path', (file) => ({ ...file, path: 'c.txt' })],
    ['hash kind (the same hex as an ETag)', ({ sha256, ...file }) => ({ ...file, etag: sha256 ?? '' })],
  ])('changes when a file changes its %s', (_, change) => {
    const [first, ...rest] = tree.files;
    if (first === undefined) throw new Error('fixture');
    expect(treeDigest({ ...tree, files: [change(first), ...rest] })).not.toBe(treeDigest(tree));
  });

  it('changes when a directory is added or changes mode', () => {
    expect(treeDigest({ ...tree, dirs: [...tree.dirs, { path: 'n', mode: 0o755 }] })).not.toBe(treeDigest(tree));
    expect(treeDigest({ ...tree, dirs: [{ path: 'a', mode: 0o700 }, tree.dirs[1] ?? { path: '', mode: 0 }] })).not.toBe(
      treeDigest(tree),
    );
  });
});

describe('newReleaseId', () => {
  it('is the UTC time to the second and the first 8 hex of the digest', () => {
    const id = newReleaseId(tree, new Date('2024-03-05T07:08:09.987Z'));
    expect(id).toBe(`20240305T070809Z-${treeDigest(tree).slice(0, 8)}`);
  });

  it('sorts by time as text', () => {
    const earlier = newReleaseId(tree, new Date('2024-12-31T23:59:59Z'));
    const later = newReleaseId({ files: [], dirs: [] }, new Date('2025-01-01T00:00:00Z'));
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });
});
