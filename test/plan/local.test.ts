import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTreeError, walkLocal } from '../../src/plan/local.js';
import { sha256 as sha } from '../support/hash.ts';

let base: string;
let root: string;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-local-'));
  root = path.join(base, 'root');
  fs.mkdirSync(root);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

function write(rel: string, content: string | Buffer, mode = 0o644): void {
  const full = path.join(root, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  fs.chmodSync(full, mode);
}

async function walkError(): Promise<LocalTreeError> {
  const error = await walkLocal(root).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LocalTreeError);
  return error as LocalTreeError;
}

describe('walkLocal', () => {
  it('publishes modes without setuid, setgid, sticky and write for others (mode & 0o775)', async () => {
    write('bin/tool', '#!/bin/sh\n', 0o4777);
    write('shared/notes.txt', 'n\n', 0o666);
    write('plain.txt', 'p\n', 0o640);
    fs.chmodSync(path.join(root, 'shared'), 0o1777);
    fs.chmodSync(path.join(root, 'bin'), 0o2775);
    const tree = await walkLocal(root);
    const modes = Object.fromEntries([...tree.files, ...tree.dirs].map((e) => [e.path, e.mode.toString(8)]));
    expect(modes).toEqual({
      'bin/tool': '775',
      'shared/notes.txt': '664',
      'plain.txt': '640',
      bin: '775',
      shared: '775',
    });
  });

  it('lists files with size, permission mode and sha256, and directories with mode, sorted', async () => {
    write('model/weights.bin', Buffer.alloc(300_000, 7));
    write('run.sh', '#!/bin/sh\n', 0o755);
    write('model/config.json', '{}', 0o600);
    fs.mkdirSync(path.join(root, 'empty'), { mode: 0o700 });
    fs.chmodSync(path.join(root, 'empty'), 0o700);
    fs.chmodSync(path.join(root, 'model'), 0o750);
    const tree = await walkLocal(root);
    expect(tree).toEqual({
      files: [
        { path: 'model/config.json', size: 2, mode: 0o600, sha256: sha('{}') },
        { path: 'model/weights.bin', size: 300_000, mode: 0o644, sha256: sha(Buffer.alloc(300_000, 7)) },
        { path: 'run.sh', size: 10, mode: 0o755, sha256: sha('#!/bin/sh\n') },
      ],
      dirs: [
        { path: 'empty', mode: 0o700 },
        { path: 'model', mode: 0o750 },
      ],
    });
  });

  it('drops setuid and sticky bits: the mode is permission bits only', async () => {
    write('tool', 'x', 0o4755);
    expect((await walkLocal(root)).files[0]?.mode).toBe(0o755);
  });

  it('honours .efsyncignore with gitignore syntax and does not publish it', async () => {
    write('.efsyncignore', '# comments work\n*.tmp\nbuild/\n/top-only.txt\n!keep.tmp\n');
    write('a.tmp', 'x');
    write('keep.tmp', 'x');
    write('build/out.o', 'x');
    write('src/build', 'a file named build is not a build/ directory');
    write('top-only.txt', 'x');
    write('src/top-only.txt', 'x');
    const tree = await walkLocal(root);
    expect(tree.files.map((f) => f.path)).toEqual(['keep.tmp', 'src/build', 'src/top-only.txt']);
    expect(tree.dirs.map((d) => d.path)).toEqual(['src']);
  });

  it('publishes names with spaces, newlines, quotes, $(), unicode and 255 bytes as they are', async () => {
    const names = [
      '...',
      '#not-a-comment',
      'with space.txt',
      'new\nline',
      `quo"te's`,
      '$(rm -rf ~)',
      'ünïcødé-模型.bin',
      `${'é'.repeat(127)}x`,
    ];
    expect(Buffer.byteLength(names.at(-1) ?? '')).toBe(255);
    for (const name of names) write(`odd/${name}`, name);
    const tree = await walkLocal(root);
    expect(tree.files.map((f) => f.path).sort()).toEqual(names.map((n) => `odd/${n}`).sort());
    for (const file of tree.files) expect(file.sha256).toBe(sha(file.path.slice(4)));
  });

  it('refuses a name that is not UTF-8, naming it', async () => {
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
    expect((await walkError()).message).toMatch(/^"bad-.*" has a name that is not valid UTF-8/);
  });

  it('follows a link to a file inside the root and publishes it as a regular file', async () => {
    write('data/real.txt', 'content', 0o640);
    fs.symlinkSync('data/real.txt', path.join(root, 'alias.txt'));
    fs.symlinkSync('../data/real.txt', path.join(root, 'data', 'sibling.txt'));
    const tree = await walkLocal(root);
    expect(tree.files).toEqual([
      { path: 'alias.txt', size: 7, mode: 0o640, sha256: sha('content') },
      { path: 'data/real.txt', size: 7, mode: 0o640, sha256: sha('content') },
      { path: 'data/sibling.txt', size: 7, mode: 0o640, sha256: sha('content') },
    ]);
  });

  it('walks a link to a directory inside the root, and a chain that stays inside', async () => {
    write('shared/x.txt', 'x');
    fs.symlinkSync('shared', path.join(root, 'dirlink'));
    fs.symlinkSync('dirlink', path.join(root, 'chain'));
    const tree = await walkLocal(root);
    expect(tree.files.map((f) => f.path)).toEqual(['chain/x.txt', 'dirlink/x.txt', 'shared/x.txt']);
    expect(tree.dirs.map((d) => d.path)).toEqual(['chain', 'dirlink', 'shared']);
  });

  it('refuses a link that points outside the root, naming the link and its target', async () => {
    fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
    fs.symlinkSync('../secret.txt', path.join(root, 'leak.txt'));
    expect((await walkError()).message).toMatch(
      /^leak\.txt is a symbolic link to \.\.\/secret\.txt, which is outside /,
    );
  });

  it('refuses an absolute link outside the root, even to a directory', async () => {
    fs.symlinkSync('/etc', path.join(root, 'etc'));
    expect((await walkError()).message).toMatch(/^etc is a symbolic link to \/etc, which is outside/);
  });

  it('refuses a chain that leaves the root and comes back', async () => {
    write('inside.txt', 'x');
    fs.symlinkSync(path.join(root, 'inside.txt'), path.join(base, 'outside-link'));
    fs.symlinkSync('../outside-link', path.join(root, 'roundtrip'));
    expect((await walkError()).message).toMatch(
      /^roundtrip is a symbolic link to \.\.\/outside-link, which is outside/,
    );
  });

  it('refuses a link that looks inside but goes through a directory link to outside', async () => {
    fs.mkdirSync(path.join(base, 'outside'));
    fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'sub'));
    write('.efsyncignore', 'sub\n');
    fs.symlinkSync('sub/secret.txt', path.join(root, 'alias'));
    expect((await walkError()).message).toMatch(/^alias is a symbolic link to sub\/secret\.txt, which is outside/);
  });

  it('refuses a link whose later hop leaves the root, showing the chain', async () => {
    fs.symlinkSync('/tmp', path.join(root, 'hop2'));
    fs.symlinkSync('hop2', path.join(root, 'hop1'));
    expect((await walkError()).message).toMatch(/^hop1 is a symbolic link to hop2 -> \/tmp, which is outside/);
  });

  it('refuses a dangling link', async () => {
    fs.symlinkSync('missing/file.txt', path.join(root, 'broken'));
    expect((await walkError()).message).toBe(
      'broken is a symbolic link to missing/file.txt, which does not exist. Fix or remove the link.',
    );
  });

  it('refuses a link cycle, and a link loop', async () => {
    fs.mkdirSync(path.join(root, 'a'));
    fs.symlinkSync('..', path.join(root, 'a', 'up'));
    expect((await walkError()).message).toBe(
      'a/up is a symbolic link to .., which is the root: a directory that contains the link itself, so following ' +
        'it would never end. Remove the link or list it in .efsyncignore.',
    );
    fs.rmSync(path.join(root, 'a'), { recursive: true });
    write('b/c/file', 'x');
    fs.symlinkSync('../../b', path.join(root, 'b', 'c', 'back'));
    expect((await walkError()).message).toMatch(
      /^b\/c\/back is a symbolic link to \.\.\/\.\.\/b, which is b: a directory/,
    );
    fs.rmSync(path.join(root, 'b'), { recursive: true });
    fs.symlinkSync('loop2', path.join(root, 'loop1'));
    fs.symlinkSync('loop1', path.join(root, 'loop2'));
    expect((await walkError()).message).toMatch(/^loop1 is a symbolic link to loop2 -> loop1 -> .*too many links/);
  });

  it('skips an ignored link without resolving it', async () => {
    write('.efsyncignore', 'broken\n');
    fs.symlinkSync('nowhere', path.join(root, 'broken'));
    expect(await walkLocal(root)).toEqual({ files: [], dirs: [] });
  });

  it('refuses a FIFO and a socket', async () => {
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    expect((await walkError()).message).toMatch(/^pipe is a named pipe \(FIFO\): only regular files/);
    fs.rmSync(path.join(root, 'pipe'));
    const server = net.createServer().listen(path.join(root, 'sock'));
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      expect((await walkError()).message).toMatch(/^sock is a socket/);
    } finally {
      server.close();
    }
  });

  it('refuses a root that is missing or a file', async () => {
    await expect(walkLocal(path.join(base, 'nope'))).rejects.toThrow(/Cannot read the directory .*nope/);
    fs.writeFileSync(path.join(base, 'file'), 'x');
    await expect(walkLocal(path.join(base, 'file'))).rejects.toThrow(/is not a directory/);
  });

  it('hashes 20,000 files in 20 directories, each with its own content', async () => {
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(root, `d${d}`));
      for (let f = 0; f < 1000; f++) fs.writeFileSync(path.join(root, `d${d}`, `f${f}`), `${d}/${f}`);
    }
    const tree = await walkLocal(root);
    expect(tree.files).toHaveLength(20_000);
    expect(tree.dirs).toHaveLength(20);
    expect(tree.files.find((f) => f.path === 'd7/f123')?.sha256).toBe(sha('7/123'));
    // A correctness case, not a timing goal (the bench measures speed): 40,000 file operations can take longer than
    // the default 5 s when the machine is busy.
  }, 60_000);
});
