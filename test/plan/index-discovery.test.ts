// discoverIndexes on files in a temporary home and workspace: which configuration files pip and uv read, which index
// each installer gets, what goes into the key, and that every credential is among the secrets to mask.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: requirements files hold ${VAR} references, as pip expands them
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeIndexes, discoverIndexes, pipConfigFiles, uvConfigFiles } from '../../src/plan/index-discovery.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-indexes-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh home and workspace (inside a parent directory), with these files under the root of the case. */
function scene(files: Record<string, string>) {
  const dir = path.join(root, `case-${n++}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const home = path.join(dir, 'home');
  const workspace = path.join(dir, 'repo', 'ws');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  // No system files: XDG_CONFIG_DIRS points inside the case.
  const env = { HOME: home, XDG_CONFIG_DIRS: path.join(dir, 'etc-xdg') };
  return { dir, home, workspace, env };
}

const discover = (
  s: ReturnType<typeof scene>,
  installer: 'pip' | 'uv',
  extra: { env?: NodeJS.ProcessEnv; pipArgs?: string[]; requirementsText?: string } = {},
) =>
  discoverIndexes({
    installer,
    workspace: s.workspace,
    pipArgs: extra.pipArgs ?? [],
    requirementsText: extra.requirementsText ?? 'alpha==1.0\n',
    env: { ...s.env, ...extra.env },
  });

describe('pip configuration files', () => {
  it('global, user (legacy and XDG), site, then PIP_CONFIG_FILE; an existing PIP_CONFIG_FILE replaces the user files', () => {
    const s = scene({ 'chosen.conf': '' });
    const files = pipConfigFiles({ ...s.env }, '/prefix');
    expect(files).toEqual([
      path.join(s.dir, 'etc-xdg/pip/pip.conf'),
      '/etc/pip.conf',
      path.join(s.home, '.pip/pip.conf'),
      ...(process.platform === 'darwin' ? [path.join(s.home, 'Library/Application Support/pip/pip.conf')] : []),
      path.join(s.home, '.config/pip/pip.conf'),
      '/prefix/pip.conf',
    ]);
    const chosen = path.join(s.dir, 'chosen.conf');
    expect(pipConfigFiles({ ...s.env, PIP_CONFIG_FILE: chosen }, undefined)).toEqual([
      path.join(s.dir, 'etc-xdg/pip/pip.conf'),
      '/etc/pip.conf',
      chosen,
    ]);
    expect(pipConfigFiles({ ...s.env, PIP_CONFIG_FILE: os.devNull }, '/prefix')).toEqual([]);
  });

  it("reads the user's pip.conf: the index, credentials stripped, and its password among the secrets", async () => {
    const s = scene({ 'home/.config/pip/pip.conf': '[global]\nindex-url = https://aws:p%40ss@idx.example/simple/\n' });
    const found = await discover(s, 'pip');
    expect(found.indexes).toEqual([
      {
        url: 'https://idx.example/simple/',
        source: `pip.conf ${path.join(s.home, '.config/pip/pip.conf')}`,
        credentials: 'in the URL',
      },
    ]);
    expect(found.keyed).toEqual(['https://idx.example/simple/']);
    expect(found.secrets).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', 'aws:p@ss']));
    // uv reads no pip.conf: no index for it, but the secret is masked all the same.
    const uv = await discover(s, 'uv');
    expect(uv.indexes).toEqual([]);
    expect(uv.secrets).toContain('p@ss');
  });
});

describe('uv configuration files', () => {
  it('the nearest uv.toml or pyproject with [tool.uv] from the workspace up, then the user file', () => {
    const s = scene({
      'repo/pyproject.toml': '[project]\nname = "x"\n', // no [tool.uv]: passed over
      'uv.toml': 'index-url = "https://root/simple"\n',
    });
    const files = uvConfigFiles(s.env, s.workspace).map((f) => f.file);
    expect(files[0]).toBe(path.join(s.dir, 'uv.toml'));
    expect(files[1]).toBe(path.join(s.home, '.config/uv/uv.toml'));
    expect(uvConfigFiles({ ...s.env, UV_CONFIG_FILE: '/x/uv.toml' }, s.workspace)).toEqual([
      { file: '/x/uv.toml', pyproject: false },
    ]);
    expect(uvConfigFiles({ ...s.env, UV_NO_CONFIG: '1' }, s.workspace)).toEqual([]);
  });

  it("reads the workspace's pyproject [[tool.uv.index]] for uv, and its credentials", async () => {
    const s = scene({
      'repo/ws/pyproject.toml':
        '[[tool.uv.index]]\nname = "ml"\nurl = "https://__token__:glpat-x1y2@gl.example/simple"\n',
    });
    const found = await discover(s, 'uv');
    expect(found.indexes.map((i) => `${i.url} ${i.credentials}`)).toEqual(['https://gl.example/simple in the URL']);
    expect(found.secrets).toContain('glpat-x1y2');
    expect((await discover(s, 'pip')).indexes).toEqual([]);
  });
});

describe('discoverIndexes', () => {
  it('environment, pip-args and the requirements file; only the environment and files go into `keyed`', async () => {
    const s = scene({});
    const found = await discover(s, 'pip', {
      env: {
        PIP_EXTRA_INDEX_URL: 'https://aws:e1@env.example/simple',
        UV_INDEX_URL: 'https://aws:u1@uv.example/simple',
      },
      pipArgs: ['--index-url', 'https://aws:a1@args.example/simple'],
      requirementsText: '-i https://aws:${REQ_TOKEN}@req.example/simple\nalpha\n',
    });
    expect(found.indexes.map((i) => `${i.url} (${i.source})`)).toEqual([
      'https://env.example/simple (PIP_EXTRA_INDEX_URL)',
      'https://req.example/simple (the requirements file)',
      'https://args.example/simple (pip-args)',
    ]);
    expect(found.keyed).toEqual(['https://env.example/simple']);
    // ${REQ_TOKEN} is not set: nothing to mask for it, but the others are masked, uv's variable too.
    expect(found.secrets).toEqual(expect.arrayContaining(['e1', 'u1', 'a1']));
  });

  it('netrc (NETRC, else ~/.netrc): the credentials of an index host', async () => {
    const s = scene({
      'home/.netrc': 'machine 127.0.0.1 login aws password n3trc-pw\nmachine other password other-pw\n',
    });
    const found = await discover(s, 'pip', { env: { PIP_INDEX_URL: 'http://127.0.0.1:8080/simple/' } });
    expect(found.indexes).toEqual([
      { url: 'http://127.0.0.1:8080/simple/', source: 'PIP_INDEX_URL', credentials: 'from netrc' },
    ]);
    expect(found.secrets).toEqual(expect.arrayContaining(['n3trc-pw', 'aws:n3trc-pw']));
    expect(found.secrets).not.toContain('other-pw');
    fs.writeFileSync(path.join(s.dir, 'netrc'), 'machine 127.0.0.1 login aws password elsewhere-pw\n');
    const viaEnv = await discover(s, 'pip', {
      env: { PIP_INDEX_URL: 'http://127.0.0.1:8080/simple/', NETRC: path.join(s.dir, 'netrc') },
    });
    expect(viaEnv.secrets).toContain('elsewhere-pw');
    expect(viaEnv.secrets).not.toContain('n3trc-pw');
  });

  it('describes the indexes in one line, never a credential', async () => {
    const s = scene({});
    const found = await discover(s, 'pip', { env: { PIP_INDEX_URL: 'https://aws:zz-secret-zz@idx/simple/' } });
    const line = describeIndexes('pip', found.indexes) ?? '';
    expect(line).toBe('Package indexes for pip: https://idx/simple/ (PIP_INDEX_URL; credentials in the URL, masked).');
    for (const secret of found.secrets) expect(line).not.toContain(secret);
    expect(describeIndexes('pip', [])).toBeUndefined();
  });
});
