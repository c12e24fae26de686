// Package indexes and their credentials: read from each place pip and uv take them, stripped for the key and the log,
// and listed in every form they can be printed in, for masking and redaction.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: requirements files hold ${VAR} references, as pip expands them
import { describe, expect, it } from 'vitest';
import {
  credentialedUrls,
  redact,
  secretForms,
  secretsIn,
  stripUrlCredentials,
  urlCredentials,
} from '../../src/core/url-credentials.js';
import { type DepsKeyInput, depsReleaseKey, explainInstallFailure, refusedCredentials } from '../../src/plan/deps.js';
import {
  expandVariables,
  hostOf,
  indexesFromArgs,
  indexesFromEnv,
  indexesFromPipConf,
  indexesFromRequirements,
  indexesFromUvToml,
  netrcSecrets,
  uvIndexCredentialSecrets,
} from '../../src/plan/indexes.js';

const TOKEN = 'eyJ2ZXIiOjF9/tok+en=';
const ENCODED = encodeURIComponent(TOKEN);
const URL_WITH = `https://aws:${ENCODED}@acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/ml/simple/`;
const BARE = 'https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/ml/simple/';

describe('url credentials', () => {
  it('splits user, password and the bare URL, as pip reads the netloc', () => {
    expect(urlCredentials(URL_WITH)).toEqual({ bare: BARE, user: 'aws', password: ENCODED });
    expect(urlCredentials('https://tok3n@host/simple/')).toEqual({ bare: 'https://host/simple/', user: 'tok3n' });
    expect(urlCredentials('https://host/simple/')).toBeUndefined();
    expect(urlCredentials('https://host/simple/a@b')).toBeUndefined();
    expect(urlCredentials('/local/wheels')).toBeUndefined();
  });

  it('strips userinfo from every URL of a text, and nothing else', () => {
    expect(stripUrlCredentials(`--index-url ${URL_WITH} --extra-index-url=http://u:p@127.0.0.1:81/simple`)).toBe(
      `--index-url ${BARE} --extra-index-url=http://127.0.0.1:81/simple`,
    );
    expect(stripUrlCredentials('alpha==1.0 ; python_version >= "3.9" # me@example.org')).toBe(
      'alpha==1.0 ; python_version >= "3.9" # me@example.org',
    );
  });

  it('finds credentialed URLs in a text', () => {
    expect(credentialedUrls(`index-url = "${URL_WITH}"\nextra = ["https://host/x"]`)).toEqual([URL_WITH]);
  });

  it('lists every printable form: raw, decoded, re-encoded, user:password, and the Basic value', () => {
    const forms = secretForms('aws', ENCODED);
    expect(forms).toEqual(
      expect.arrayContaining([
        ENCODED,
        TOKEN,
        `aws:${ENCODED}`,
        `aws:${TOKEN}`,
        Buffer.from(`aws:${TOKEN}`).toString('base64'),
      ]),
    );
    // The user of a user and password is no secret: pip's `aws:****@host` stays readable.
    expect(forms).not.toContain('aws');
    // A lone user name is the token.
    expect(secretForms('tok3n')).toContain('tok3n');
    expect(secretsIn(`pip-args: -i ${URL_WITH}`)).toEqual(forms);
  });

  it('redacts every form from a line, longest first', () => {
    const secrets = secretForms('aws', ENCODED);
    const line = `GET ${URL_WITH} as aws:${TOKEN}; Authorization: Basic ${Buffer.from(`aws:${TOKEN}`).toString('base64')}`;
    const out = redact(line, secrets);
    for (const form of secrets) expect(out).not.toContain(form);
    expect(out).toContain('acme-123456789012.d.codeartifact');
    expect(redact('Looking in indexes: https://aws:****@host/simple/', secrets)).toBe(
      'Looking in indexes: https://aws:****@host/simple/',
    );
  });
});

describe('where indexes are named', () => {
  it('pip-args: long, long=, -i, -iURL, -f, uv --index name=url and --default-index', () => {
    const args = [
      '--index-url',
      'https://a/simple',
      '--extra-index-url=https://b/simple',
      '-i',
      'https://c/simple',
      '-ihttps://d/simple',
      '-f',
      '/wheels',
      '--index',
      'private=https://u:p@e/simple',
      '--default-index',
      'https://f/simple',
      '--no-deps',
    ];
    expect(indexesFromArgs(args, 'pip-args').map((i) => i.url)).toEqual([
      'https://a/simple',
      'https://b/simple',
      'https://c/simple',
      'https://d/simple',
      '/wheels',
      'https://u:p@e/simple',
      'https://f/simple',
    ]);
  });

  it('the requirements file: its option lines, with ${VAR} expanded from the environment', () => {
    const text = [
      '--extra-index-url https://__token__:${GL_TOKEN}@gitlab.example/api/v4/projects/1/packages/pypi/simple',
      '-i https://idx/simple # the default',
      'alpha==1.0',
      '# --index-url https://commented/simple',
    ].join('\n');
    const env = { GL_TOKEN: 'glpat-secret' };
    expect(expandVariables('${GL_TOKEN} ${NOPE}', env)).toBe('glpat-secret ${NOPE}');
    expect(indexesFromRequirements(text, env, 'r').map((i) => i.url)).toEqual([
      'https://__token__:glpat-secret@gitlab.example/api/v4/projects/1/packages/pypi/simple',
      'https://idx/simple',
    ]);
  });

  it("pip's and uv's environment variables, each read by its installer", () => {
    const env = {
      PIP_INDEX_URL: 'https://a/simple',
      PIP_EXTRA_INDEX_URL: 'https://b/simple  https://c/simple',
      UV_INDEX_URL: 'https://d/simple',
      UV_EXTRA_INDEX_URL: 'https://e/simple',
      UV_INDEX: 'internal=https://f/simple https://g/simple',
      UV_DEFAULT_INDEX: 'https://h/simple',
      UV_FIND_LINKS: '/w1, /w2',
    };
    const found = indexesFromEnv(env).map((i) => `${i.readers.join('+')} ${i.source} ${i.url}`);
    expect(found).toEqual([
      'pip PIP_INDEX_URL https://a/simple',
      'pip PIP_EXTRA_INDEX_URL https://b/simple',
      'pip PIP_EXTRA_INDEX_URL https://c/simple',
      'uv UV_INDEX_URL https://d/simple',
      'uv UV_DEFAULT_INDEX https://h/simple',
      'uv UV_EXTRA_INDEX_URL https://e/simple',
      'uv UV_INDEX https://f/simple',
      'uv UV_INDEX https://g/simple',
      'uv UV_FIND_LINKS /w1',
      'uv UV_FIND_LINKS /w2',
    ]);
  });

  it("uv's credentials of a named index: UV_INDEX_<NAME>_PASSWORD", () => {
    const secrets = uvIndexCredentialSecrets({
      UV_INDEX_INTERNAL_USERNAME: 'aws',
      UV_INDEX_INTERNAL_PASSWORD: 's3cr3t',
    });
    expect(secrets).toEqual(expect.arrayContaining(['s3cr3t', 'aws:s3cr3t']));
    expect(secrets).not.toContain('aws');
  });

  it('pip.conf: [global] and [install], _ read as -, values over indented lines; other sections ignored', () => {
    const text = [
      '[global]',
      'index_url = https://a/simple',
      'timeout = 60',
      'extra-index-url =',
      '    https://b/simple',
      '    https://c/simple',
      '; a comment',
      '[install]',
      'find-links: /wheels',
      '[download]',
      'index-url = https://not-read/simple',
    ].join('\n');
    expect(indexesFromPipConf(text, 'pip.conf').map((i) => i.url)).toEqual([
      'https://a/simple',
      'https://b/simple',
      'https://c/simple',
      '/wheels',
    ]);
  });

  it('uv.toml and pyproject [tool.uv]: index-url, extra-index-url, find-links, [[index]] and [pip]', () => {
    const uvToml = [
      'index-url = "https://a/simple"',
      'extra-index-url = ["https://b/simple"]',
      '[[index]]',
      'name = "private"',
      'url = "https://u:p@c/simple"',
      '[pip]',
      'index-url = "https://d/simple"',
    ].join('\n');
    expect(indexesFromUvToml(uvToml, 'uv.toml')?.map((i) => i.url)).toEqual([
      'https://a/simple',
      'https://b/simple',
      'https://u:p@c/simple',
      'https://d/simple',
    ]);
    const pyproject = '[project]\nname = "x"\n[[tool.uv.index]]\nurl = "https://e/simple"\ndefault = true\n';
    expect(indexesFromUvToml(pyproject, 'pyproject.toml', true)?.map((i) => i.url)).toEqual(['https://e/simple']);
    // Without [tool.uv], uv passes a pyproject.toml over.
    expect(indexesFromUvToml('[project]\nname = "x"\n', 'pyproject.toml', true)).toBeUndefined();
    // Not TOML: its credentialed URLs are still found, to be masked.
    expect(indexesFromUvToml('index-url = "https://u:p@f/simple', 'uv.toml')?.map((i) => i.url)).toEqual([
      'https://u:p@f/simple',
    ]);
  });

  it('netrc: the password of each index host and of the default entry, login before or after', () => {
    const text =
      'machine idx.example login aws password pw1\nmachine other password pw2 login x\ndefault login d password pw3';
    expect(netrcSecrets(text, ['idx.example'])).toEqual(expect.arrayContaining(['pw1', 'aws:pw1', 'pw3']));
    expect(netrcSecrets(text, ['idx.example'])).not.toContain('pw2');
    expect(netrcSecrets(text, ['other'])).toContain('x:pw2');
    expect(hostOf('https://u:p@idx.example:8443/simple')).toBe('idx.example');
    expect(hostOf('/wheels')).toBeUndefined();
  });
});

describe('the release key and the failure message', () => {
  const base: DepsKeyInput = {
    requirementsText: 'alpha==1.0\n',
    pythonVersion: '3.12',
    architecture: 'x86_64',
    installer: 'pip',
    pipArgs: [],
  };

  it('is the same when only the token of an index changes, wherever the index is named', () => {
    const withToken = (token: string) =>
      depsReleaseKey({
        ...base,
        requirementsText: `--extra-index-url https://aws:${token}@idx/simple\nalpha==1.0\n`,
        pipArgs: ['--index-url', `https://aws:${token}@idx/simple`],
        indexes: ['https://idx/simple'],
      });
    expect(withToken('old')).toBe(withToken('new'));
    expect(depsReleaseKey({ ...base, pipArgs: ['-i', 'https://aws:a@idx/simple'] })).toBe(
      depsReleaseKey({ ...base, pipArgs: ['-i', 'https://idx/simple'] }),
    );
  });

  it('changes with the index itself, and is unchanged for an install that names none in env or config', () => {
    expect(depsReleaseKey({ ...base, indexes: ['https://a/simple'] })).not.toBe(
      depsReleaseKey({ ...base, indexes: ['https://b/simple'] }),
    );
    expect(depsReleaseKey({ ...base, indexes: [] })).toBe(depsReleaseKey(base));
  });

  it('says when an index refused the credentials, as pip -v and uv print it', () => {
    expect(
      refusedCredentials(
        'Could not fetch URL http://aws:****@h/simple/a/: 401 Client Error: Unauthorized for url: http://h/simple/a/ - skipping',
      ),
    ).toEqual({ status: '401', url: 'http://h/simple/a/' });
    expect(
      refusedCredentials('  Caused by: HTTP status client error (403 Forbidden) for url (https://h/simple/a/)'),
    ).toEqual({ status: '403', url: 'https://h/simple/a/' });
    const message = explainInstallFailure({ pythonVersion: '3.12', architecture: 'x86_64' }, 'uv', 2, [
      'error: Failed to fetch: `https://h/simple/a/`',
      '  Caused by: HTTP status client error (401 Unauthorized) for url (https://h/simple/a/)',
    ]);
    expect(message).toMatch(/^A package index refused the credentials \(HTTP 401 for https:\/\/h\/simple\/a\/\)\./);
  });

  it('a package not found names the authenticated indexes, since pip reports a refused login that way', () => {
    const output = ['ERROR: No matching distribution found for nosuch'];
    const deps = { pythonVersion: '3.12', architecture: 'x86_64' } as const;
    expect(explainInstallFailure(deps, 'pip', 1, output)).not.toContain('credentials');
    expect(explainInstallFailure(deps, 'pip', 1, output, ['https://idx/simple'])).toContain(
      'If it is on https://idx/simple, that index may have refused the credentials',
    );
  });
});
