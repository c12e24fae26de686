// Private package indexes, end to end: a PEP 503 simple index on loopback that demands HTTP basic auth serves the
// wheels (no public index anywhere), and the committed bundles install from it through each way pip (and uv, where it
// runs) takes an index and its credentials. Each run publishes; the token appears in no log (debug logging on), output,
// state, summary, staging object or file on the file system, also when the install fails; a rotated token is a no-op.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: a requirements file names ${VAR}, which pip expands
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalAws } from '../../testbed/client.ts';
import { sha256 } from '../support/hash.ts';
import { motoClients } from '../support/local-aws.ts';
import { expectClean, printTable, record } from './fault-harness.ts';
import { type Lanes, startLanes } from './lanes.ts';
import { buildWheels, makeWorkspace, runAction, type Step, saveRequestLog } from './support.ts';

const USER = 'aws';
/** Characters a URL must encode, so the raw, encoded and Basic forms all differ. */
const newToken = () => `tok/${sha256(String(Math.random())).slice(0, 24)}+x=`;

/** The index: /simple/ demands `aws:<password>`; /public/ is an empty index without auth. */
interface Index {
  url: string;
  /** http://aws:<encoded password>@host:port/simple/ */
  withToken: (password: string) => string;
  password: string;
  /** Requests, as "<status> <path>". */
  requests: string[];
  close: () => Promise<void>;
}

async function startIndex(wheels: string, password: string): Promise<Index> {
  const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
  const files = fs.readdirSync(wheels);
  const index: Index = { url: '', withToken: () => '', password, requests: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: string | Buffer, type = 'text/html') => {
      index.requests.push(`${status} ${url}`);
      res.writeHead(status, { 'Content-Type': type, ...(status === 401 && { 'WWW-Authenticate': 'Basic realm="x"' }) });
      res.end(body);
    };
    if (url.startsWith('/public/')) return send(404, 'not found');
    const expected = `Basic ${Buffer.from(`${USER}:${index.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, 'unauthorized');
    const project = /^\/simple\/([^/]+)\/$/.exec(url)?.[1];
    if (project !== undefined) {
      // PEP 503: one anchor per file, its sha256 in the fragment.
      const own = files.filter((f) => normalize(f.split('-')[0] ?? '') === normalize(project));
      if (own.length === 0) return send(404, 'not found');
      const anchors = own.map((f) => {
        const digest = sha256(fs.readFileSync(path.join(wheels, f)));
        return `<a href="/files/${f}#sha256=${digest}">${f}</a>`;
      });
      return send(200, `<!DOCTYPE html><html><body>${anchors.join('\n')}</body></html>`);
    }
    const file = /^\/files\/([^/]+)$/.exec(url)?.[1];
    if (file && files.includes(file)) return send(200, fs.readFileSync(path.join(wheels, file)), 'application/zip');
    send(404, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  index.url = `http://127.0.0.1:${port}/simple/`;
  index.withToken = (pw) => `http://${USER}:${encodeURIComponent(pw)}@127.0.0.1:${port}/simple/`;
  index.close = () => new Promise((resolve) => server.close(() => resolve()));
  return index;
}

interface Lane {
  aws: LocalAws;
  index: Index;
  workspace: string;
}

let lanes: Lanes<Lane>;
const T5 = { 'timeout-minutes': '5' };
const UV = (() => {
  try {
    execFileSync('uv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  lanes = await startLanes(2, ['--online-delay-ms', '0'], async (aws) => {
    const workspace = makeWorkspace({ 'requirements.txt': 'efsync-private==1.0\n' });
    const wheels = buildWheels(workspace, ['efsync-private==1.0:efsync-private-dep>=1', 'efsync-private-dep==1.0']);
    return { aws, workspace, index: await startIndex(wheels, newToken()) };
  });
}, 240_000);
afterAll(async () => {
  printTable();
  for (const [i, lane] of (lanes?.all ?? []).entries()) {
    await saveRequestLog(lane.aws, `private-index-${i + 1}`);
    await lane.index.close();
  }
  await lanes?.stop();
});

/** Every regular file under dir, its path and content (dot-directories of releases and manifests included). */
function allFiles(dir: string): { name: string; data: Buffer }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const name = path.join(entry.parentPath, entry.name);
    return entry.isFile() ? [{ name, data: fs.readFileSync(name) }] : [];
  });
}

/** Every object of the staging bucket (the published states, what a run left), as key and content. */
async function stagingObjects(aws: LocalAws): Promise<{ name: string; data: Buffer }[]> {
  const { s3 } = motoClients(aws);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: aws.info.stagingBucket }));
  const out: { name: string; data: Buffer }[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket: aws.info.stagingBucket, Key }));
    out.push({ name: Key ?? '', data: Buffer.from(await (object.Body?.transformToByteArray() ?? [])) });
  }
  s3.destroy();
  return out;
}

/**
 * The token in none of its forms anywhere a person or a later step can read: the log (outside the runner's mask
 * commands), the error, the outputs, the state, the summary, the post step, the staging bucket, the file system (the
 * release manifests, the installed files). It is masked: its mask command was given.
 */
async function expectTokenNowhere(lane: Lane, step: Step, token: string, masked = true): Promise<void> {
  const forms = [
    token,
    encodeURIComponent(token),
    `${USER}:${token}`,
    Buffer.from(`${USER}:${token}`).toString('base64'),
  ];
  if (masked) expect(step.stdout).toContain(`::add-mask::${token}\n`);
  const texts = [step, step.post].flatMap((s) => [
    s.stdout.replace(/^::add-mask::.*$/gm, ''),
    s.stderr,
    s.output,
    s.state,
    s.summary,
  ]);
  const efs = allFiles(path.join(lane.aws.info.stateDir, 'efs', lane.aws.info.fileSystemId));
  const stored = [...efs, ...(await stagingObjects(lane.aws))];
  for (const form of forms) {
    for (const text of texts)
      expect(text.includes(form), `the token (${form.slice(0, 8)}…) in a log or file`).toBe(false);
    for (const file of stored) expect(file.data.includes(form), `the token in ${file.name}`).toBe(false);
  }
  await expectClean(lane.aws, [step, step.post], '');
}

/** The published lib holds the two private packages. */
function expectInstalled(lane: Lane, target: string): void {
  const lib = path.join(lane.aws.info.stateDir, 'efs', lane.aws.info.fileSystemId, target);
  expect(fs.existsSync(path.join(lib, 'efsync_private', '__init__.py'))).toBe(true);
  expect(fs.existsSync(path.join(lib, 'efsync_private_dep', '__init__.py'))).toBe(true);
}

const inputs = (target: string, extra: Record<string, string> = {}) => ({
  requirements: 'requirements.txt',
  'python-version': '3.12',
  'pip-target': target,
  installer: 'pip',
  ...T5,
  ...extra,
});

/** One publish through an index named one way; `setup` writes files and returns the step's environment and inputs. */
function publishes(
  name: string,
  setup: (lane: Lane, dir: string) => { env?: Record<string, string>; inputs?: Record<string, string> },
  group = 'index',
) {
  return () =>
    lanes.use(async (lane) => {
      const target = `lib-${name.replace(/\W+/g, '-').toLowerCase()}`;
      const dir = fs.mkdtempSync(path.join(lane.workspace, '.case-'));
      const given = setup(lane, dir);
      const before = lane.index.requests.length;
      const step = await runAction(lane.aws, lane.workspace, inputs(target, given.inputs), {
        debug: true,
        env: given.env ?? {},
      });
      expect(record(group, name, 'published', step), step.stdout.slice(-3000)).toBe('published');
      expectInstalled(lane, target);
      // The wheels came from the index, with its credentials: a 200 for both files.
      expect(lane.index.requests.slice(before).filter((r) => r.startsWith('200 /files/'))).toHaveLength(2);
      await expectTokenNowhere(lane, step, lane.index.password);
      return step;
    });
}

describe('pip installs from a private index, named each way', { timeout: 300_000, concurrent: true }, () => {
  it(
    'PIP_INDEX_URL',
    publishes('PIP_INDEX_URL', ({ index }) => ({ env: { PIP_INDEX_URL: index.withToken(index.password) } })),
  );

  it(
    'PIP_EXTRA_INDEX_URL (beside a public index without the packages)',
    publishes('PIP_EXTRA_INDEX_URL', ({ index }) => ({
      env: {
        PIP_INDEX_URL: index.url.replace('/simple/', '/public/'),
        PIP_EXTRA_INDEX_URL: index.withToken(index.password),
      },
    })),
  );

  it(
    'pip.conf named by PIP_CONFIG_FILE',
    publishes('PIP_CONFIG_FILE', ({ index }, dir) => {
      const file = path.join(dir, 'pip.conf');
      fs.writeFileSync(file, `[global]\nindex-url = ${index.withToken(index.password)}\n`);
      return { env: { PIP_CONFIG_FILE: file } };
    }),
  );

  it(
    "the user's pip.conf (~/.config/pip/pip.conf)",
    publishes('user pip.conf', ({ index }, dir) => {
      fs.mkdirSync(path.join(dir, '.config', 'pip'), { recursive: true });
      fs.writeFileSync(
        path.join(dir, '.config', 'pip', 'pip.conf'),
        `[install]\nextra-index-url =\n    ${index.withToken(index.password)}\n`,
      );
      return { env: { HOME: dir, PIP_INDEX_URL: index.url.replace('/simple/', '/public/') } };
    }),
  );

  it(
    'pip-args --index-url',
    publishes('pip-args --index-url', ({ index }) => ({
      inputs: { 'pip-args': `--index-url ${index.withToken(index.password)}` },
    })),
  );

  it(
    'pip-args -i',
    publishes('pip-args -i', ({ index }) => ({ inputs: { 'pip-args': `-i ${index.withToken(index.password)}` } })),
  );

  it(
    'pip-args --extra-index-url=',
    publishes('pip-args --extra-index-url', ({ index }) => ({
      inputs: {
        'pip-args': `-i ${index.url.replace('/simple/', '/public/')} --extra-index-url=${index.withToken(index.password)}`,
      },
    })),
  );

  it(
    'netrc named by NETRC, the index URL without credentials',
    publishes('NETRC', ({ index }, dir) => {
      const file = path.join(dir, 'netrc');
      fs.writeFileSync(file, `machine 127.0.0.1\n  login ${USER}\n  password ${index.password}\n`, { mode: 0o600 });
      return { env: { NETRC: file, PIP_INDEX_URL: index.url } };
    }),
  );

  it(
    '~/.netrc',
    publishes('~/.netrc', ({ index }, dir) => {
      fs.writeFileSync(path.join(dir, '.netrc'), `machine 127.0.0.1 login ${USER} password ${index.password}\n`, {
        mode: 0o600,
      });
      return { env: { HOME: dir }, inputs: { 'pip-args': `--index-url ${index.url}` } };
    }),
  );

  it(
    'the requirements file: --index-url with ${INDEX_TOKEN} from the environment',
    publishes('requirements file', ({ index }, dir) => {
      const placeholder = `http://${USER}:\${INDEX_TOKEN}@${index.url.slice('http://'.length)}`;
      fs.writeFileSync(path.join(dir, 'requirements.txt'), `--index-url ${placeholder}\nefsync-private==1.0\n`);
      return {
        env: { INDEX_TOKEN: encodeURIComponent(index.password) },
        inputs: { requirements: `${path.basename(dir)}/requirements.txt` },
      };
    }),
  );
});

// Two forms the security review found unmasked: the token is masked (its ::add-mask:: given) and shown nowhere.
describe('security: credentials in forms pip reads from the requirements file', {
  timeout: 300_000,
  concurrent: true,
}, () => {
  it(
    '--index-url \\ with the URL on the next line',
    publishes(
      'requirements: --index-url \\ continued',
      ({ index }, dir) => {
        fs.writeFileSync(
          path.join(dir, 'requirements.txt'),
          `--index-url \\\n    ${index.withToken(index.password)}\nefsync-private==1.0\n`,
        );
        return { inputs: { requirements: `${path.basename(dir)}/requirements.txt` } };
      },
      'security',
    ),
  );

  it(
    'direct references name @ http://user:token@host/…whl',
    publishes(
      'requirements: name @ url with a token',
      ({ index }, dir) => {
        const files = index.withToken(index.password).replace('/simple/', '/files/');
        fs.writeFileSync(
          path.join(dir, 'requirements.txt'),
          `efsync-private @ ${files}efsync_private-1.0-py3-none-any.whl\n` +
            `efsync-private-dep @ ${files}efsync_private_dep-1.0-py3-none-any.whl\n`,
        );
        return { inputs: { requirements: `${path.basename(dir)}/requirements.txt` } };
      },
      'security',
    ),
  );
});

describe('a rotated token, a failed install', { timeout: 300_000, concurrent: true }, () => {
  it('a rotated token (same index, new password) is a no-op: no install, no instance, nothing republished', () =>
    lanes.use(async (lane) => {
      const { index, aws } = lane;
      const target = 'lib-rotated';
      const run = () =>
        runAction(aws, lane.workspace, inputs(target), {
          debug: true,
          env: { PIP_INDEX_URL: index.withToken(index.password) },
        });
      const first = await run();
      expect(record('rotate', 'first publish', 'published', first), first.stdout.slice(-3000)).toBe('published');
      const link = fs.readlinkSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, target));
      const old = index.password;
      index.password = newToken();
      try {
        const requests = index.requests.length;
        const launches = (await aws.log()).filter((e) => e.operation === 'RunInstances').length;
        const second = await run();
        expect(record('rotate', 'same index, new token', 'no change', second), second.stdout.slice(-3000)).toBe(
          'no change',
        );
        expect(second.stdout).toContain('not installing');
        expect(second.outputs['instance-id'] ?? '').toBe('');
        expect(index.requests.length).toBe(requests);
        expect((await aws.log()).filter((e) => e.operation === 'RunInstances').length).toBe(launches);
        expect(fs.readlinkSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, target))).toBe(link);
        await expectTokenNowhere(lane, first, old);
        await expectTokenNowhere(lane, second, index.password);
        await expectTokenNowhere(lane, second, old, false);
      } finally {
        index.password = old;
      }
    }));

  it('a wrong package name fails with the package named, the token nowhere', () =>
    lanes.use(async (lane) => {
      const { index } = lane;
      fs.writeFileSync(path.join(lane.workspace, 'wrong.txt'), 'efsync-no-such-package==1.0\n');
      const step = await runAction(lane.aws, lane.workspace, inputs('lib-wrong', { requirements: 'wrong.txt' }), {
        debug: true,
        env: { PIP_INDEX_URL: index.withToken(index.password) },
      });
      const observed = record('fail', 'wrong package name', 'failed: names it', step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\): efsync-no-such-package==1\.0 has no wheel/);
      expect(step.stdout).toContain('If it is on http://127.0.0.1:');
      await expectTokenNowhere(lane, step, index.password);
    }));

  it('a wrong token fails, naming the index that refused it with pip -vv, the token nowhere', () =>
    lanes.use(async (lane) => {
      const { index } = lane;
      const wrong = newToken();
      const step = await runAction(lane.aws, lane.workspace, inputs('lib-refused', { 'pip-args': '-vv' }), {
        debug: true,
        env: { PIP_INDEX_URL: index.withToken(wrong) },
      });
      const observed = record('fail', 'wrong token', 'failed: refused', step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\): A package index refused the credentials \(HTTP 401 for/);
      await expectTokenNowhere(lane, step, wrong);
    }));
});

describe.skipIf(!UV)('uv installs from a private index', { timeout: 300_000, concurrent: true }, () => {
  const uv = { installer: 'uv' };
  it(
    'UV_INDEX_URL',
    publishes('uv UV_INDEX_URL', ({ index }) => ({
      env: { UV_INDEX_URL: index.withToken(index.password) },
      inputs: uv,
    })),
  );
  it(
    'UV_INDEX (named)',
    publishes('uv UV_INDEX', ({ index }) => ({
      env: {
        UV_DEFAULT_INDEX: index.url.replace('/simple/', '/public/'),
        UV_INDEX: `p=${index.withToken(index.password)}`,
      },
      inputs: uv,
    })),
  );
  it(
    'uv.toml named by UV_CONFIG_FILE',
    publishes('uv UV_CONFIG_FILE', ({ index }, dir) => {
      const file = path.join(dir, 'uv.toml');
      fs.writeFileSync(file, `[[index]]\nurl = "${index.withToken(index.password)}"\ndefault = true\n`);
      return { env: { UV_CONFIG_FILE: file }, inputs: uv };
    }),
  );
  it(
    'pip-args --index-url',
    publishes('uv pip-args', ({ index }) => ({
      inputs: { ...uv, 'pip-args': `--index-url ${index.withToken(index.password)}` },
    })),
  );
  it(
    'netrc',
    publishes('uv NETRC', ({ index }, dir) => {
      const file = path.join(dir, 'netrc');
      fs.writeFileSync(file, `machine 127.0.0.1 login ${USER} password ${index.password}\n`, { mode: 0o600 });
      return { env: { NETRC: file, UV_INDEX_URL: index.url }, inputs: uv };
    }),
  );
});
