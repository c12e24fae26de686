import { describe, expect, it } from 'vitest';
import { Problems } from '../../src/config/problems.js';
import { normalizeTarget, parseS3Uri, targetsOverlap, workspacePath } from '../../src/config/rules.js';

describe('targetsOverlap', () => {
  it.each([
    ['lib', 'lib', true],
    ['lib', 'lib/x', true],
    ['a/b', 'a', true],
    ['lib', 'lib2', false],
    ['models', 'model', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(targetsOverlap(a, b)).toBe(expected);
    expect(targetsOverlap(b, a)).toBe(expected);
  });
});

describe('normalizeTarget', () => {
  it('keeps unicode, spaces and dots inside names, and drops trailing slashes', () => {
    const problems = new Problems();
    expect(normalizeTarget(problems, 'x', 'modèles/v1.2 final/')).toBe('modèles/v1.2 final');
    expect(normalizeTarget(problems, 'x', 'a\nb')).toBeUndefined();
    expect(problems.list.map((p) => p.message)).toEqual([
      "'a\\nb' is not a folder name. Write a relative folder such as lib or models/bert.",
    ]);
  });
});

describe('parseS3Uri', () => {
  it('splits the bucket and a prefix that ends with a slash', () => {
    const problems = new Problems();
    expect(parseS3Uri(problems, 'x', 's3://b-1/a b/c')).toEqual({ bucket: 'b-1', prefix: 'a b/c/' });
    expect(parseS3Uri(problems, 'x', 's3://b-1/')).toEqual({ bucket: 'b-1', prefix: '' });
    expect(problems.list).toEqual([]);
  });
});

describe('workspacePath', () => {
  it('keeps paths inside the workspace, and a name that merely starts with dots is inside', () => {
    const problems = new Problems();
    expect(workspacePath(problems, 'x', '/ws', '..data/file')).toBe('..data/file');
    expect(workspacePath(problems, 'x', '/ws', '/ws/a/../b')).toBe('b');
    expect(workspacePath(problems, 'x', '/ws', '/ws-other/a')).toBeUndefined();
    expect(problems.list).toHaveLength(1);
  });
});
