import { describe, expect, it } from 'vitest';
import type { FileEntry, Tree } from '../../src/core/tree.js';
import { diffTrees, hasChanges, sameFile } from '../../src/plan/diff.js';

/** A file entry; a property given as undefined is left out, as an S3 file has no sha256. */
function file(path: string, extra: { [K in keyof FileEntry]?: FileEntry[K] | undefined } = {}): FileEntry {
  const entry = { path, size: 10, mode: 0o644, sha256: `sha-${path}`, ...extra };
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as unknown as FileEntry;
}
const dir = (path: string, mode = 0o755) => ({ path, mode });

const previous: Tree = {
  files: [file('a.txt'), file('lib/b.py'), file('lib/old.py'), file('models/w.bin', { sha256: undefined, etag: 'e1' })],
  dirs: [dir('lib'), dir('models'), dir('empty')],
};

function summary(diff: ReturnType<typeof diffTrees>) {
  return {
    add: diff.changes.add.map((f) => f.path),
    modify: diff.changes.modify.map((f) => f.path),
    delete: diff.changes.delete,
    changed: diff.files.filter((f) => f.changed).map((f) => f.path),
    linked: diff.files.filter((f) => !f.changed).map((f) => f.path),
    dirs: diff.dirs.map((d) => d.path),
  };
}

describe('diffTrees', () => {
  it('without a previous tree fetches every file and has changes even when empty', () => {
    const diff = diffTrees(undefined, previous, { delete: true });
    expect(summary(diff)).toMatchObject({
      add: ['a.txt', 'lib/b.py', 'lib/old.py', 'models/w.bin'],
      modify: [],
      delete: [],
      linked: [],
    });
    expect(diff.files.every((f) => f.changed)).toBe(true);
    expect(hasChanges(diffTrees(undefined, { files: [], dirs: [] }, { delete: true }))).toBe(true);
  });

  it('finds nothing to do for an equal tree, in any order', () => {
    const reordered: Tree = { files: [...previous.files].reverse(), dirs: [...previous.dirs].reverse() };
    const diff = diffTrees(previous, reordered, { delete: true });
    expect(summary(diff)).toMatchObject({ add: [], modify: [], delete: [], changed: [] });
    expect(diff.dirsChanged).toBe(false);
    expect(hasChanges(diff)).toBe(false);
    expect(diff.files.map((f) => f.path)).toEqual(['a.txt', 'lib/b.py', 'lib/old.py', 'models/w.bin']);
  });

  it.each([
    ['content', { sha256: 'other' }],
    ['size', { size: 11 }],
    ['mode only', { mode: 0o755 }],
  ])('counts a %s change as modified', (_, change) => {
    const next: Tree = {
      ...previous,
      files: previous.files.map((f) => (f.path === 'a.txt' ? { ...f, ...change } : f)),
    };
    const diff = diffTrees(previous, next, { delete: true });
    expect(summary(diff)).toMatchObject({ add: [], modify: ['a.txt'], delete: [], changed: ['a.txt'] });
    expect(hasChanges(diff)).toBe(true);
  });

  it('compares S3 files by ETag', () => {
    const same = diffTrees(previous, previous, { delete: true });
    expect(same.files.find((f) => f.path === 'models/w.bin')?.changed).toBe(false);
    const next: Tree = {
      ...previous,
      files: previous.files.map((f) => (f.path === 'models/w.bin' ? { ...f, etag: 'e2' } : f)),
    };
    const diff = diffTrees(previous, next, { delete: true });
    expect(summary(diff).modify).toEqual(['models/w.bin']);
    expect(diff.files.find((f) => f.path === 'models/w.bin')).toMatchObject({ etag: 'e2', changed: true });
  });

  it('never takes a sha256 file and an ETag file for equal', () => {
    expect(sameFile(file('x', { sha256: 'h' }), file('x', { sha256: undefined, etag: 'h' }))).toBe(false);
    expect(sameFile(file('x', { sha256: undefined }), file('x', { sha256: undefined }))).toBe(false);
  });

  it('with delete true drops files and directories gone from the source', () => {
    const next: Tree = {
      files: [file('a.txt'), file('lib/b.py'), file('new.txt')],
      dirs: [dir('lib')],
    };
    const diff = diffTrees(previous, next, { delete: true });
    expect(summary(diff)).toEqual({
      add: ['new.txt'],
      modify: [],
      delete: ['lib/old.py', 'models/w.bin'],
      changed: ['new.txt'],
      linked: ['a.txt', 'lib/b.py'],
      dirs: ['lib'],
    });
    expect(diff.kept).toEqual([]);
    expect(diff.dirsChanged).toBe(true);
  });

  it('with delete false keeps files gone from the source, unchanged, and their directories', () => {
    const next: Tree = { files: [file('a.txt', { sha256: 'v2' })], dirs: [] };
    const diff = diffTrees(previous, next, { delete: false });
    expect(summary(diff)).toEqual({
      add: [],
      modify: ['a.txt'],
      delete: ['lib/b.py', 'lib/old.py', 'models/w.bin'],
      changed: ['a.txt'],
      linked: ['lib/b.py', 'lib/old.py', 'models/w.bin'],
      dirs: ['empty', 'lib', 'models'],
    });
    expect(diff.kept).toEqual(['lib/b.py', 'lib/old.py', 'models/w.bin']);
    expect(diff.files.find((f) => f.path === 'models/w.bin')).toEqual({ ...previous.files[3], changed: false });
    expect(diff.dirsChanged).toBe(false);
  });

  it('with delete false and only files gone has no changes', () => {
    const next: Tree = { files: [file('a.txt')], dirs: [] };
    const diff = diffTrees(previous, next, { delete: false });
    expect(diff.changes.delete).toEqual(diff.kept);
    expect(hasChanges(diff)).toBe(false);
    expect(hasChanges(diffTrees(previous, next, { delete: true }))).toBe(true);
  });

  it('with delete false drops a kept path that a new file or directory needs', () => {
    const next: Tree = {
      // 'lib' becomes a file; 'a.txt' becomes a directory.
      files: [file('lib'), file('a.txt/inner')],
      dirs: [dir('a.txt')],
    };
    const diff = diffTrees(previous, next, { delete: false });
    expect(diff.changes.delete).toEqual(['a.txt', 'lib/b.py', 'lib/old.py', 'models/w.bin']);
    expect(diff.kept).toEqual(['models/w.bin']);
    expect(diff.files.map((f) => f.path)).toEqual(['a.txt/inner', 'lib', 'models/w.bin']);
    expect(summary(diff).dirs).toEqual(['a.txt', 'empty', 'models']);
  });

  it('sees a directory added, removed or with another mode', () => {
    const withDir = (dirs: Tree['dirs']) => diffTrees(previous, { ...previous, dirs }, { delete: true });
    expect(hasChanges(withDir([...previous.dirs, dir('more')]))).toBe(true);
    expect(hasChanges(withDir(previous.dirs.filter((d) => d.path !== 'empty')))).toBe(true);
    expect(hasChanges(withDir(previous.dirs.map((d) => (d.path === 'lib' ? dir('lib', 0o700) : d))))).toBe(true);
    // An empty directory gone from the source stays with delete false: nothing to do.
    const kept = diffTrees(
      previous,
      { ...previous, dirs: previous.dirs.filter((d) => d.path !== 'empty') },
      {
        delete: false,
      },
    );
    expect(hasChanges(kept)).toBe(false);
  });
});
