import { describe, expect, it } from 'vitest';
import { Problems } from '../../src/config/problems.js';
import { normalizeTarget } from '../../src/config/rules.js';
import { describePlace, legacyStateKey, placeRoot, stateKey } from '../../src/plan/place.js';

const at = (root: string) => ({ fileSystemId: 'fs-0123', root });

describe('the place of a target', () => {
  it('is the file system and the root directory, one canonical path per directory', () => {
    expect(placeRoot(undefined)).toBe('/');
    expect(placeRoot('/')).toBe('/');
    expect(placeRoot('/lambda')).toBe('/lambda');
    expect(placeRoot('/lambda/')).toBe('/lambda');
    expect(placeRoot('//lambda//prod')).toBe('/lambda/prod');
    expect(describePlace(at('/'))).toBe("fs-0123's root");
    expect(describePlace(at('/lambda'))).toBe('fs-0123 under /lambda');
  });

  it('has one readable state key per place and target, below the staging prefix', () => {
    expect(stateKey('efsync/', at('/'), 'lib')).toBe('efsync/state/fs-0123/.efsync-root=%2F/lib.json');
    expect(stateKey('efsync/', at('/lambda'), 'lib')).toBe('efsync/state/fs-0123/.efsync-root=%2Flambda/lib.json');
    expect(stateKey('', at('/a/b c'), 'models/bert')).toBe('state/fs-0123/.efsync-root=%2Fa%2Fb%20c/models/bert.json');
    // Two access points with one root directory are one place.
    expect(stateKey('', at('/lambda/'), 'lib')).toBe(stateKey('', at('/lambda'), 'lib'));
  });

  it('never gives two places one key (the encoding is injective)', () => {
    // Roots EFS accepts (botocore efs Path: up to four /-separated parts, none starting with '.', none of $#<>;`|&?{}^*).
    const roots = [
      '/',
      '/a',
      '/a/b',
      '/a%2Fb',
      '/a%252Fb',
      '/a b',
      '/a+b',
      '/a=b',
      '/a/b/c/d',
      '/%',
      '/ä',
      '/a:b',
      '/a@b',
    ];
    const keys = roots.map((root) => stateKey('p/', at(root), 'lib'));
    expect(new Set(keys).size).toBe(roots.length);
    for (const [i, key] of keys.entries()) {
      const segment = /\/\.efsync-root=([^/]*)\//.exec(key)?.[1] ?? '';
      expect(decodeURIComponent(segment)).toBe(roots[i]);
    }
    // A nested target never reads as another root: the root is one segment, the target follows it.
    expect(stateKey('', at('/a'), 'b/lib')).not.toBe(stateKey('', at('/a/b'), 'lib'));
  });

  it('never names a key an older version wrote for some other target', () => {
    // The older key is state/<fs-id>/<target>.json. A place's key would equal one only for a target whose first
    // folder is `.efsync-root=…`, a name reserved for releases.
    const problems = new Problems();
    expect(normalizeTarget(problems, 'local-target', '.efsync-root=%2F/lib')).toBeUndefined();
    expect(legacyStateKey('efsync/', 'fs-0123', 'lib')).toBe('efsync/state/fs-0123/lib.json');
  });
});
