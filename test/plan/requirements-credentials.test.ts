// Every credential a requirements text can hold is masked, wherever it stands and however the line is written, and
// none of them reaches the release key; pip-args too. Each form as pip reads it (pip/_internal/req/req_file.py:
// join_lines for continued lines, expand_env_variables for ${VAR}; a direct reference is `name @ url`, PEP 508).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: requirements files hold ${VAR} references, as pip expands them
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialedUrls, stripUrlCredentials, urlSecrets } from '../../src/core/url-credentials.js';
import { depsReleaseKey } from '../../src/plan/deps.js';
import { readRequirements } from '../../src/plan/deps-install.js';
import { describeIndexes, discoverIndexes } from '../../src/plan/index-discovery.js';
import { indexesFromRequirements, joinContinuedLines, requirementsSecrets } from '../../src/plan/indexes.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-req-creds-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** No configuration file of the machine's is read. */
const NO_CONFIG = {
  HOME: path.join(root, 'home'),
  XDG_CONFIG_DIRS: path.join(root, 'none'),
  PIP_CONFIG_FILE: os.devNull,
};

/** Each form, the secret it carries, and the text pip reads it from. */
const FORMS: { form: string; secret: string; text: (secret: string) => string }[] = [
  {
    form: 'direct reference',
    secret: 'dr-t0ken',
    text: (t) => `torch @ https://ml:${t}@wheels.example/torch-2.5-cp312.whl\n`,
  },
  { form: 'direct reference, no spaces', secret: 'dr2-t0ken', text: (t) => `alpha@https://u:${t}@h.example/a.whl\n` },
  {
    form: 'git+https, token as the user',
    secret: 'ghp_vcs0token',
    text: (t) => `pkg @ git+https://${t}@github.com/org/pkg@v1.2#egg=pkg\n`,
  },
  { form: 'bare VCS URL', secret: 'glpat-bare', text: (t) => `git+https://oauth2:${t}@gitlab.example/org/pkg.git\n` },
  {
    form: '--index-url continued on the next line',
    secret: 'cont-t0ken',
    text: (t) => `--index-url \\\n    https://aws:${t}@idx.example/simple/\nalpha\n`,
  },
  { form: '-i continued', secret: 'cont-i', text: (t) => `-i \\\nhttps://aws:${t}@idx.example/simple/\n` },
  {
    form: 'a requirement continued',
    secret: 'cont-req',
    text: (t) => `alpha @ \\\n  https://u:${t}@h.example/a.whl \\\n  --hash=sha256:00\n`,
  },
  {
    form: '--extra-index-url=',
    secret: 'extra-eq',
    text: (t) => `--extra-index-url=https://aws:${t}@idx.example/simple\n`,
  },
  { form: '--find-links', secret: 'fl-t0ken', text: (t) => `--find-links https://u:${t}@files.example/wheels/\n` },
  { form: '-f', secret: 'f-t0ken', text: (t) => `-f https://u:${t}@files.example/wheels/\n` },
  { form: '-r URL include', secret: 'inc-r', text: (t) => `-r https://u:${t}@cfg.example/requirements.txt\n` },
  { form: '-c URL constraints', secret: 'inc-c', text: (t) => `-c https://u:${t}@cfg.example/constraints.txt\n` },
  {
    form: 'a password with a raw @',
    secret: 'p@ss-w0rd',
    text: (t) => `--index-url https://aws:${t}@idx.example/simple/\n`,
  },
];

describe('requirements credentials, each form', () => {
  for (const { form, secret, text } of FORMS) {
    it(`${form}: masked, and the release key does not depend on it`, async () => {
      const found = await discoverIndexes({
        installer: 'pip',
        workspace: root,
        pipArgs: [],
        requirementsText: text(secret),
        env: NO_CONFIG,
      });
      expect(found.secrets).toContain(secret);
      const key = (t: string) =>
        depsReleaseKey({
          requirementsText: text(t),
          pythonVersion: '3.12',
          architecture: 'x86_64',
          installer: 'pip',
          pipArgs: [],
        });
      expect(key(secret)).toBe(key(`${secret.replace('@', '')}-rotated`));
    });
  }

  it('${VAR} in a direct reference, expanded from the environment before the secret is taken', () => {
    const text = 'beta @ https://${WHEELS_USER}:${WHEELS_TOKEN}@wheels.example/beta.whl\n';
    const env = { WHEELS_USER: 'ci', WHEELS_TOKEN: 'env-t0ken' };
    expect(requirementsSecrets(text, env)).toEqual(expect.arrayContaining(['env-t0ken', 'ci:env-t0ken']));
    const found = discoverIndexes({
      installer: 'uv',
      workspace: root,
      pipArgs: [],
      requirementsText: text,
      env: { ...NO_CONFIG, ...env },
    });
    return expect(found.then((f) => f.secrets)).resolves.toContain('env-t0ken');
  });

  it("an ssh URL's user is not a secret (masking `git` would blank the log), its password is", () => {
    expect(requirementsSecrets('pkg @ git+ssh://git@github.com/org/pkg.git\n', {})).toEqual([]);
    expect(urlSecrets('git+ssh://git:ssh-pw@host/org/pkg.git')).toContain('ssh-pw');
  });

  it('joins continued lines as pip does; a comment line ends a continuation', () => {
    expect(joinContinuedLines('--index-url \\\n  https://h/simple\nalpha \\\n# note\nbeta')).toEqual([
      '--index-url   https://h/simple',
      'alpha  # note',
      'beta',
    ]);
    expect(indexesFromRequirements('--index-url \\\n  https://aws:x@h/simple\n', {}, 'r').map((i) => i.url)).toEqual([
      'https://aws:x@h/simple',
    ]);
  });

  it('a raw @ in a password: the URL is found whole and stripped whole', () => {
    expect(credentialedUrls('-i https://aws:p@ss@h.example/simple/ x')).toEqual(['https://aws:p@ss@h.example/simple/']);
    expect(stripUrlCredentials('-i https://aws:p@ss@h.example/simple/ mail a@b')).toBe(
      '-i https://h.example/simple/ mail a@b',
    );
  });
});

describe('discoverIndexes over a requirements file with includes', () => {
  it('masks every credential of the file and of the files it includes, and of pip-args; the log line shows none', async () => {
    const dir = path.join(root, 'ws');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'requirements.txt'),
      [
        '--index-url \\',
        '    https://aws:idx-t0ken@idx.example/simple/',
        '-r more.txt',
        '-c constraints.txt',
        'torch @ https://ml:dr-t0ken@wheels.example/torch.whl',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'more.txt'), 'pkg @ git+https://ghp_inc1uded@github.com/org/pkg@v1\n');
    fs.writeFileSync(path.join(dir, 'constraints.txt'), '--extra-index-url https://u:c0nstraint@c.example/simple\n');
    const requirementsText = await readRequirements(path.join(dir, 'requirements.txt'));
    const found = await discoverIndexes({
      installer: 'pip',
      workspace: dir,
      pipArgs: ['gamma @ https://u:args-t0ken@g.example/gamma.whl'],
      requirementsText,
      env: NO_CONFIG,
    });
    for (const secret of ['idx-t0ken', 'dr-t0ken', 'ghp_inc1uded', 'c0nstraint', 'args-t0ken'])
      expect(found.secrets).toContain(secret);
    const line = describeIndexes('pip', found.indexes) ?? '';
    expect(line).toContain('https://idx.example/simple/ (the requirements file; credentials in the URL, masked)');
    for (const secret of found.secrets) expect(line).not.toContain(secret);
    expect(line).not.toContain('\\');
  });
});

describe('the other places pip and uv take an index from', () => {
  it('pip.conf (a value continued on an indented line), uv.toml, pyproject [tool.uv], PIP_*, UV_* and UV_INDEX_*_PASSWORD', async () => {
    const dir = path.join(root, 'places');
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'pip.conf'),
      '[global]\nextra-index-url =\n    https://a:pipconf-t0ken@p.example/simple\n',
    );
    fs.writeFileSync(path.join(dir, 'uv.toml'), '[[index]]\nurl = "https://u:uvtoml-t0ken@u.example/simple"\n');
    fs.writeFileSync(
      path.join(ws, 'pyproject.toml'),
      '[tool.uv]\nextra-index-url = ["https://u:pyproj-t0ken@y.example/simple"]\n',
    );
    const env = {
      ...NO_CONFIG,
      PIP_CONFIG_FILE: path.join(dir, 'pip.conf'),
      PIP_FIND_LINKS: 'https://u:pipenv-t0ken@f.example/wheels/',
      UV_INDEX: 'corp=https://u:uvenv-t0ken@c.example/simple',
      UV_INDEX_CORP_PASSWORD: 'uvpw-t0ken',
    };
    const pip = await discoverIndexes({ installer: 'pip', workspace: ws, pipArgs: [], requirementsText: '', env });
    for (const secret of ['pipconf-t0ken', 'pipenv-t0ken', 'uvenv-t0ken', 'uvpw-t0ken'])
      expect(pip.secrets).toContain(secret);
    const uv = await discoverIndexes({ installer: 'uv', workspace: ws, pipArgs: [], requirementsText: '', env });
    expect(uv.secrets).toContain('pyproj-t0ken');
    const chosen = await discoverIndexes({
      installer: 'uv',
      workspace: ws,
      pipArgs: [],
      requirementsText: '',
      env: { ...env, UV_CONFIG_FILE: path.join(dir, 'uv.toml') },
    });
    expect(chosen.secrets).toContain('uvtoml-t0ken');
    for (const found of [pip, uv, chosen])
      for (const secret of found.secrets) expect(found.keyed.join(' ')).not.toContain(secret);
  });
});
