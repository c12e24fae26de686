// Concurrency, hostile and odd input, secrets with debug logging on, and least privilege: every case gets a clear
// error or syncs correctly, nothing is written outside the target, and the policy allows exactly what runs call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_NAMES } from '../../src/config/inputs.js';
import type { LocalAws } from '../../testbed/client.ts';
import { sha256 } from '../support/hash.ts';
import { motoClients } from '../support/local-aws.ts';
import { ROOT } from '../support/repo.ts';
import { parseCommandFile, startBundle } from '../support/run-action.ts';
import { expectClean, expectNoSecrets, printTable, record, rows } from './fault-harness.ts';
import { type Lanes, startLanes } from './lanes.ts';
import {
  actionSetup,
  buildWheels,
  iamActions,
  leftovers,
  makeWorkspace,
  readTree,
  runAction,
  runPost,
  type Step,
  savedRequestLogs,
  saveRequestLog,
} from './support.ts';

/** A test bed, and its EFS directory of the file system. */
interface Lane {
  aws: LocalAws;
  efs: (...parts: string[]) => string;
}

let lanes: Lanes<Lane>;
const T5 = { 'timeout-minutes': '5' };

beforeAll(async () => {
  // Convenience, turned on here: SSM has an instance Online as soon as it runs (AWS takes a minute or two). No case
  // here is about that wait; sync.test.ts and faults-instance exercise it.
  lanes = await startLanes(3, ['--online-delay-ms', '0'], async (aws) => {
    // Its cases run several actions at once (the concurrency rows, the hostile inputs), past AWS's default Standard
    // quota of 5 vCPUs: this account has raised it (testbed/quotas.ts). faults-zones covers the quota.
    await aws.settings({ vcpuQuotas: { standard: 64 } });
    return { aws, efs: (...parts: string[]) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, ...parts) };
  });
}, 60_000);
afterAll(async () => {
  printTable();
  await saveRequestLogs();
  await lanes?.stop();
});

/** Every lane's calls so far, for the least-privilege check. */
async function saveRequestLogs(): Promise<void> {
  for (const [i, lane] of (lanes?.all ?? []).entries()) await saveRequestLog(lane.aws, `faults-input-${i + 1}`);
}

function expectPublished(group: string, name: string, step: Step): void {
  expect(record(group, name, 'published', step), step.stdout.slice(-2000)).toBe('published');
}

function expectFailure(group: string, name: string, step: Step, message: string): void {
  const observed = record(group, name, `failed: ${message}`, step);
  expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
  expect(observed).toContain(message);
}

/** Path → content, as readTree gives it. */
function buffers(files: Record<string, string>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text)]));
}

/** Runs `work` for every item, at most `width` at once, in order of the items. */
async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width)
    results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  return results;
}

// Each case has a test bed to itself while it runs (lanes.ts), so the cases run side by side; the longest first.
describe('hostile and odd input', { timeout: 300_000, concurrent: true }, () => {
  it('a 1 GB sparse file', () =>
    lanes.use(async ({ aws, efs }) => {
      const ws = makeWorkspace({});
      fs.mkdirSync(path.join(ws, 'sparse'));
      const sparse = fs.openSync(path.join(ws, 'sparse', 'disk.img'), 'w');
      fs.ftruncateSync(sparse, 1024 ** 3);
      fs.writeSync(sparse, 'end', 1024 ** 3 - 3);
      fs.closeSync(sparse);
      const step = await runAction(aws, ws, { 'local-dir': 'sparse', ...T5 });
      expectPublished('5', '1 GB sparse file', step);
      await expectClean(aws, [step, step.post], 'sparse');
      expect(fs.readdirSync(efs('sparse'))).toEqual(['disk.img']);
      expect(fs.statSync(efs('sparse', 'disk.img')).size).toBe(1024 ** 3);
      const tail = Buffer.alloc(3);
      const fd = fs.openSync(efs('sparse', 'disk.img'), 'r');
      fs.readSync(fd, tail, 0, 3, 1024 ** 3 - 3);
      fs.closeSync(fd);
      expect(tail.toString()).toBe('end');
      fs.rmSync(ws, { recursive: true, force: true });
    }));

  it('shell metacharacters in every string input give a clear error or a correct sync, and never run', () =>
    lanes.use(async ({ aws, efs }) => {
      // One canary per input, so that a shell that ran names its input; the runs go a few at a time.
      const evilFor = (name: string) => {
        const canary = path.join(os.tmpdir(), `efsync-canary-${process.pid}-${name}`);
        return {
          canary,
          evil: `x$(touch ${canary})\`touch ${canary}\`;touch ${canary}|touch ${canary}&&touch ${canary}`,
        };
      };
      const runs = await inBatches(INPUT_NAMES, 4, async (name) => {
        const { canary, evil } = evilFor(name);
        const ws = makeWorkspace({ 'models/a.txt': 'a\n', 'requirements.txt': '' });
        // Each input publishes its own target, so that each accepted run has its own change to make.
        const target = name === 'local-target' ? evil : `meta-${name}`;
        const step = await runAction(aws, ws, {
          'local-dir': 'models',
          'local-target': `meta-${name}`,
          ...T5,
          [name]: evil,
        });
        return { name, canary, evil, target, step };
      });
      for (const { name, canary, evil, target, step } of runs) {
        const observed = record('5', `metacharacters in ${name}`, 'an error, or a correct sync', step);
        expect(fs.existsSync(canary), `${name} ran a shell`).toBe(false);
        expectNoSecrets(aws, step, step.post);
        expect(step.post.status, `${name}: the post step`).toBe(0);
        if (step.status !== 0) {
          expect(observed, name).toMatch(/^failed \(exit 1, 1 error\)/);
          continue;
        }
        // A correct sync: the target (named by the input itself, for local-target) holds exactly the file, byte for byte.
        expect(observed, name).toBe('published');
        expect(step.outputs['efs-local-path'], name).toBe(`/${target}`);
        expect(readTree(efs(target)), name).toEqual(buffers({ 'a.txt': 'a\n' }));
        if (name === 'staging-prefix')
          expect(await leftovers(aws, `${evil}/`)).toEqual({ instances: [], runObjects: [] });
      }
      expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
    }));

  it('requirements with markers, hashes, -r includes and comments install; sdist-only and missing packages are named', () =>
    lanes.use(async ({ aws, efs }) => {
      const ws = makeWorkspace({});
      const wheels = buildWheels(ws, ['alpha==1.0:beta>=2', 'beta==2.0', 'sdist:gamma==1.0']);
      const hash = (file: string) => sha256(fs.readFileSync(path.join(wheels, file)));
      const wheel = (prefix: string) =>
        fs.readdirSync(wheels).find((f) => f.startsWith(prefix) && f.endsWith('.whl')) ?? '';
      fs.writeFileSync(
        path.join(ws, 'base.txt'),
        `# shared pins\nbeta==2.0 ; python_version >= "3.8" --hash=sha256:${hash(wheel('beta-2.0'))}\n`,
      );
      fs.writeFileSync(
        path.join(ws, 'requirements.txt'),
        `-r base.txt\n\nalpha==1.0 --hash=sha256:${hash(wheel('alpha-1.0'))}  # the model's code\n`,
      );
      const deps = {
        requirements: 'requirements.txt',
        'pip-args': `--no-index --find-links ${wheels}`,
        'pip-target': 'deps',
        'python-version': '3.12',
        ...T5,
      };
      const ok = await runAction(aws, ws, deps);
      expectPublished('5', 'requirements: markers, hashes, -r, comments', ok);
      await expectClean(aws, [ok, ok.post], 'deps');
      // Both pins installed, the one from the -r include (behind a marker) too, as the wheels hold them.
      const installed = readTree(efs('deps'));
      expect(installed['alpha/__init__.py']?.toString()).toBe('"""The alpha test package."""\n__version__ = "1.0"\n');
      expect(installed['beta/__init__.py']?.toString()).toBe('"""The beta test package."""\n__version__ = "2.0"\n');
      for (const [pkg, name] of [
        ['gamma==1.0', 'sdist-only package'],
        ['no-such-package==9.9', 'package that does not exist'],
      ] as const) {
        fs.writeFileSync(path.join(ws, 'requirements.txt'), `${pkg}\n`);
        const step = await runAction(aws, ws, deps);
        expectFailure('5', `requirements: ${name}`, step, pkg.split('==')[0] ?? pkg);
        await expectClean(aws, [step, step.post], 'deps');
      }
    }));

  it('20,000 small files', () =>
    lanes.use(async ({ aws, efs }) => {
      const ws = makeWorkspace({});
      const many: Record<string, string> = {};
      for (let d = 0; d < 20; d++) {
        fs.mkdirSync(path.join(ws, 'many', `d${d}`), { recursive: true });
        for (let f = 0; f < 1000; f++) {
          many[`d${d}/f${f}.txt`] = `${d}/${f}\n`;
          fs.writeFileSync(path.join(ws, 'many', `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
        }
      }
      const step = await runAction(aws, ws, { 'local-dir': 'many', ...T5 });
      expectPublished('5', '20,000 small files', step);
      await expectClean(aws, [step, step.post], 'many');
      expect(JSON.parse(step.outputs.stats ?? '{}').files).toEqual({ added: 20_000, changed: 0, deleted: 0 });
      // All 20,000, each with its own bytes, and nothing else.
      expect(readTree(efs('many'))).toEqual(buffers(many));
      fs.rmSync(ws, { recursive: true, force: true });
    }));

  it('odd file names, an empty directory and a deep tree sync byte for byte', () =>
    lanes.use(async ({ aws, efs }) => {
      const names = [
        'with space.txt',
        'new\nline.txt',
        `quote'"s.txt`,
        '$(touch pwned).txt',
        '`id`.txt',
        'ünïcødé ✓.txt',
        `${'n'.repeat(251)}.txt`,
        '-dash.txt',
      ];
      const files = Object.fromEntries(names.map((n, i) => [n, `content ${i}\n`]));
      const ws = makeWorkspace(Object.fromEntries(Object.entries(files).map(([n, text]) => [`odd/${n}`, text])));
      fs.mkdirSync(path.join(ws, 'odd/empty/dir'), { recursive: true });
      fs.mkdirSync(path.join(ws, 'odd/a/b/c/d/e/f'), { recursive: true });
      fs.writeFileSync(path.join(ws, 'odd/a/b/c/d/e/f/deep.txt'), 'deep\n');
      const step = await runAction(aws, ws, { 'local-dir': 'odd', ...T5 });
      expectPublished('5', 'odd names, empty dir, deep tree', step);
      expect(step.outputs.changed).toBe('true');
      await expectClean(aws, [step, step.post], 'odd');
      // Every file, and nothing else, with its bytes.
      expect(readTree(efs('odd'))).toEqual(buffers({ ...files, 'a/b/c/d/e/f/deep.txt': 'deep\n' }));
      expect(fs.readdirSync(efs('odd', 'empty', 'dir'))).toEqual([]);
      expect(fs.existsSync('pwned')).toBe(false);
    }));

  it('a symlink out of local-dir, directly or through a chain, is refused before anything is spent', () =>
    lanes.use(async ({ aws, efs }) => {
      for (const [name, link] of [
        ['direct', '/etc/passwd'],
        ['chain', 'hop'],
      ] as const) {
        const ws = makeWorkspace({ 'models/ok.txt': 'ok\n' });
        if (name === 'chain') {
          fs.symlinkSync('../outside', path.join(ws, 'models/hop'));
          fs.writeFileSync(path.join(ws, 'outside'), 'secret\n');
          fs.symlinkSync('hop', path.join(ws, 'models/leak'));
        } else fs.symlinkSync(link, path.join(ws, 'models/leak'));
        const before = (await aws.log()).length;
        const step = await runAction(aws, ws, { 'local-dir': 'models', 'local-target': 'links', ...T5 });
        expectFailure('5', `symlink out of local-dir (${name})`, step, 'outside');
        const operations = (await aws.log()).slice(before).map((e) => e.operation);
        expect(operations).not.toContain('RunInstances');
        expect(fs.existsSync(efs('links'))).toBe(false);
      }
    }));

  it('S3 keys with special characters, and keys that end in /, sync', () =>
    lanes.use(async ({ aws, efs }) => {
      const { s3 } = motoClients(aws);
      const keys = {
        'odd keys/a b+c.txt': 'plus\n',
        'odd keys/ünï €.txt': 'unicode\n',
        'odd keys/q?x=1&y.txt': 'query\n',
        'odd keys/folder/': '',
        'odd keys/folder/in.txt': 'in\n',
      };
      for (const [key, body] of Object.entries(keys))
        await s3.send(new PutObjectCommand({ Bucket: aws.info.sourceBucket, Key: key, Body: body }));
      const step = await runAction(aws, makeWorkspace({}), {
        's3-source': `s3://${aws.info.sourceBucket}/odd keys/`,
        's3-target': 'oddkeys',
        ...T5,
      });
      expectPublished('5', 'S3 keys with special characters and folder markers', step);
      await expectClean(aws, [step, step.post], 'oddkeys');
      const tree = readTree(efs('oddkeys'));
      expect(tree).toEqual({
        'a b+c.txt': Buffer.from('plus\n'),
        'folder/in.txt': Buffer.from('in\n'),
        'q?x=1&y.txt': Buffer.from('query\n'),
        'ünï €.txt': Buffer.from('unicode\n'),
      });
    }));
});

describe('concurrency', { timeout: 180_000, concurrent: true }, () => {
  it('two runs on one target at once both succeed, one after the other; the later plan wins', () =>
    lanes.use(async ({ aws, efs }) => {
      const one = makeWorkspace({ 'models/who.txt': 'one\n', 'models/shared.txt': 'same\n' });
      const two = makeWorkspace({ 'models/who.txt': 'two\n', 'models/shared.txt': 'same\n' });
      const a = actionSetup(aws, one, { 'local-dir': 'models', 'local-target': 'race', ...T5 });
      const b = actionSetup(aws, two, { 'local-dir': 'models', 'local-target': 'race', ...T5 });
      const [ra, rb] = await Promise.all([
        startBundle('main', a.inputs, a.env).done,
        startBundle('main', b.inputs, b.env).done,
      ]);
      for (const [name, result, env] of [
        ['run A', ra, a.env],
        ['run B', rb, b.env],
      ] as const) {
        const post = await runPost(env, result);
        expect(record('4', `same target, ${name}`, 'published', result)).toBe('published');
        await expectClean(aws, [result, post], 'race');
      }
      const history = JSON.parse(fs.readFileSync(efs('.race.efsync', 'history.json'), 'utf8')) as {
        switches: { release: string }[];
      };
      const last = history.switches.at(-1)?.release;
      expect(fs.readlinkSync(efs('race'))).toBe(`.race.efsync/${last}`);
      const winner = [ra, rb].find((r) => JSON.parse(parseCommandFile(r.output)['release-ids'] ?? '{}').race === last);
      expect(winner).toBeDefined();
      expect(readTree(efs('race'))).toEqual(
        buffers({ 'who.txt': winner === ra ? 'one\n' : 'two\n', 'shared.txt': 'same\n' }),
      );
    }));

  it('two runs on different targets at once both land', () =>
    lanes.use(async ({ aws, efs }) => {
      const one = makeWorkspace({ 'data/x.txt': 'alpha\n' });
      const two = makeWorkspace({ 'data/x.txt': 'beta\n' });
      const a = actionSetup(aws, one, { 'local-dir': 'data', 'local-target': 'alpha', ...T5 });
      const b = actionSetup(aws, two, { 'local-dir': 'data', 'local-target': 'beta', ...T5 });
      const [ra, rb] = await Promise.all([
        startBundle('main', a.inputs, a.env).done,
        startBundle('main', b.inputs, b.env).done,
      ]);
      expect(record('4', 'different targets, run A', 'published', ra)).toBe('published');
      expect(record('4', 'different targets, run B', 'published', rb)).toBe('published');
      await expectClean(aws, [ra, rb, await runPost(a.env, ra), await runPost(b.env, rb)], 'alpha');
      expect(readTree(efs('alpha'))).toEqual(buffers({ 'x.txt': 'alpha\n' }));
      expect(readTree(efs('beta'))).toEqual(buffers({ 'x.txt': 'beta\n' }));
    }));
});

describe('secrets', { timeout: 300_000, concurrent: true }, () => {
  it('with ACTIONS_STEP_DEBUG=true and OIDC, no credential, token, signature or presigned URL appears anywhere', () =>
    lanes.use(async ({ aws }) => {
      const ws = makeWorkspace({ 'models/a.txt': 'a\n', 'models/big.bin': Buffer.alloc(12 * 1024 * 1024, 3) });
      const wheels = buildWheels(ws, ['alpha==1.0']);
      fs.writeFileSync(path.join(ws, 'requirements.txt'), 'alpha==1.0\n');
      const step = await runAction(
        aws,
        ws,
        {
          'local-dir': 'models',
          'local-target': 'secrets',
          requirements: 'requirements.txt',
          'pip-target': 'secret-lib',
          'pip-args': `--no-index --find-links ${wheels}`,
          's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}`,
          's3-target': 'secret-s3',
          'access-point-id': aws.info.accessPointId,
          ...T5,
        },
        { oidc: true, debug: true },
      );
      expectPublished('6', 'OIDC run with debug logging: all three sources', step);
      expect(step.stdout).toMatch(/^::add-mask::/m);
      expect(step.stdout).toContain('::debug::');
      await expectClean(aws, [step, step.post], 'secrets');
    }));
});

// After every other case of this file: it reads what all of them called.
describe('least privilege', { timeout: 300_000 }, () => {
  it('the policy allows every operation the e2e suite calls, and nothing it does not', () =>
    lanes.use(async ({ aws }) => {
      // Cover what a sync does not: a rollback, a sweep, and a run cancelled while the agent runs on a warm instance.
      const ws = makeWorkspace({ 'models/a.txt': 'v1\n', 'models/big.bin': Buffer.alloc(30 * 1024 * 1024, 1) });
      const target = {
        'local-dir': 'models',
        'local-target': 'policy',
        'access-point-id': aws.info.accessPointId,
        ...T5,
      };
      const publish = () => runAction(aws, ws, target);
      expect((await publish()).status).toBe(0);
      fs.writeFileSync(path.join(ws, 'models/a.txt'), 'v2\n');
      expect((await publish()).status).toBe(0);
      expect((await runAction(aws, ws, { ...target, mode: 'rollback' })).status).toBe(0);
      expect((await runAction(aws, ws, { mode: 'sweep', ...T5 })).status).toBe(0);
      // The writer function (engine lambda): its configuration read, then the job handed to it; at the file system's
      // root, the place it writes.
      const writer = aws.info.stacks.efsync?.writerFunction ?? '';
      const onFunction = {
        'local-dir': 'models',
        'local-target': 'policy-fn',
        engine: 'lambda',
        'writer-function': writer,
      };
      expect((await runAction(aws, ws, { ...onFunction, ...T5 })).status).toBe(0);
      // A multipart upload refused half-way is aborted, not left behind.
      fs.writeFileSync(path.join(ws, 'models/big.bin'), Buffer.alloc(30 * 1024 * 1024, 9));
      await aws.fault({ service: 's3', operation: 'UploadPart', code: 'AccessDenied', times: 99 });
      expect((await publish()).status).toBe(1);
      await aws.control('DELETE', '/faults');
      // A warm instance, then a run that reuses it and is cancelled while the agent runs: before terminating it, the
      // teardown asks SSM whether another run's command is at work there (in-use.ts).
      const warm = { ...target, 'keep-warm': '10' };
      fs.writeFileSync(path.join(ws, 'models/big.bin'), Buffer.alloc(30 * 1024 * 1024, 2));
      expect((await runAction(aws, ws, warm)).status).toBe(0);
      fs.writeFileSync(path.join(ws, 'models/big.bin'), Buffer.alloc(30 * 1024 * 1024, 3));
      const setup = actionSetup(aws, ws, warm);
      const main = startBundle('main', setup.inputs, setup.env);
      await main.waitFor(/Sent command [0-9a-f-]+ to i-/);
      main.child.kill('SIGINT');
      await runPost(setup.env, await main.done);
      await saveRequestLogs();

      const policy = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/iam-policy.json'), 'utf8')) as {
        Statement: { Action: string | string[] }[];
      };
      const allowed = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
      // What this file's runs called, on every test bed it used.
      const calls = (await Promise.all(lanes.all.map((lane) => lane.aws.log()))).flat();
      const own = new Set(
        calls.filter((e) => e.answeredBy !== 'fault').flatMap((e) => iamActions(e.service, e.operation)),
      );
      const suite = new Set(savedRequestLogs().flatMap((call) => iamActions(...(call.split(' ') as [string, string]))));
      const missing = [...new Set([...own, ...suite])].filter((action) => !allowed.has(action)).sort();
      const unused = [...allowed].filter((action) => !own.has(action) && !suite.has(action)).sort();
      rows.push({
        group: '7',
        name: 'calls not allowed by docs/iam-policy.json',
        expected: 'none',
        observed: missing.join(', ') || 'none',
      });
      rows.push({
        group: '7',
        name: 'actions allowed but never called',
        expected: 'none',
        observed: unused.join(', ') || 'none',
      });
      expect(missing).toEqual([]);
      expect(unused).toEqual([]);
    }));
});
