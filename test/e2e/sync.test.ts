// End to end: the committed dist/ bundles, run as the runner runs them, publish all three sources onto the test bed's
// EFS directory through a real instance sandbox, SSM and the real agent.
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { motoClients } from '../support/local-aws.ts';
import { buildWheels, leftovers, makeWorkspace, readTree, runAction, type Step, saveRequestLog } from './support.ts';

const MODEL = {
  'models/config.json': '{"layers": 12}\n',
  'models/weights/a.bin': 'a'.repeat(5000),
  'models/notes 1.txt': 'odd name\n',
};

/** A test bed and a workspace with requirements, the model folder and locally built wheels. */
interface Scene {
  aws: LocalAws;
  workspace: string;
  wheels: string;
}

// The three groups below are independent: each has a test bed and a workspace of its own, and they run side by side
// (the cases within a group one after the other, in order).
const scenes: Partial<Record<'sources' | 'big' | 'yaml', Scene>> = {};
let sources: Scene;
let big: Scene;
let yaml: Scene;

beforeAll(async () => {
  const start = async (name: keyof typeof scenes): Promise<Scene> => {
    const aws = await startLocalAws(['--online-delay-ms', '300']);
    const workspace = makeWorkspace({ 'requirements.txt': 'alpha==1.0\n', ...MODEL });
    const wheels = buildWheels(workspace, ['alpha==1.0:beta>=2', 'alpha==1.1:beta>=2', 'beta==2.0']);
    scenes[name] = { aws, workspace, wheels };
    return { aws, workspace, wheels };
  };
  [sources, big, yaml] = await Promise.all([start('sources'), start('big'), start('yaml')]);
}, 60_000);
afterAll(async () => {
  for (const [name, scene] of Object.entries(scenes)) {
    await saveRequestLog(scene.aws, `sync-${name}`);
    await scene.aws.stop();
  }
});

/** After every run, success or failure: no instance left running and no staged run objects. */
function expectNothingLeft(scene: () => Scene) {
  afterEach(async () => {
    expect(await leftovers(scene().aws)).toEqual({ instances: [], runObjects: [] });
  });
}

const efsRoot = (scene: Scene) => path.join(scene.aws.info.stateDir, 'efs', scene.aws.info.fileSystemId, 'lambda');
const inputs = () => ({
  'access-point-id': sources.aws.info.accessPointId,
  requirements: 'requirements.txt',
  'python-version': '3.12',
  // No .pyc whatever Python the machine has (auto would compile with a python3.12 on PATH); bytecode.test.ts covers it.
  compile: 'false',
  'pip-args': `--no-index --find-links ${sources.wheels}`,
  'local-dir': 'models',
  's3-source': `s3://${sources.aws.info.sourceBucket}/${sources.aws.info.sourcePrefix}`,
});

/** The objects under the test bed's S3 source prefix, as path → content, straight from moto. */
async function s3Source(aws: LocalAws): Promise<Record<string, Buffer>> {
  const { s3 } = motoClients(aws);
  const { sourceBucket: Bucket, sourcePrefix: Prefix } = aws.info;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix }));
  const out: Record<string, Buffer> = {};
  for (const { Key } of listed.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket, Key }));
    out[(Key ?? '').slice(Prefix.length)] = Buffer.from(await (object.Body?.transformToByteArray() ?? []));
  }
  s3.destroy();
  return out;
}

/** The job summary's table: one row per target, its cells as written (HTML inside a cell kept). */
function summaryRows(step: Step): string[][] {
  return [...step.summary.matchAll(/<tr>(.*?)<\/tr>/gs)]
    .map((row) => [...(row[1] ?? '').matchAll(/<td>(.*?)<\/td>/gs)].map((cell) => cell[1] ?? ''))
    .filter((cells) => cells.length > 0);
}

/** Which paths a second tree adds, changes and deletes, by content. */
function difference(before: Record<string, Buffer>, after: Record<string, Buffer>) {
  const added = Object.keys(after).filter((name) => !(name in before));
  const deleted = Object.keys(before).filter((name) => !(name in after));
  const changed = Object.keys(after).filter((name) => name in before && !after[name]?.equals(before[name] as Buffer));
  return { added: added.sort(), changed: changed.sort(), deleted: deleted.sort() };
}

describe('publishing all three sources', { timeout: 180_000, concurrent: true }, () => {
  expectNothingLeft(() => sources);
  const root = () => efsRoot(sources);

  it.sequential('lands every source byte for byte at its target, each a symlink to a release (OIDC credentials)', async () => {
    const { aws, workspace } = sources;
    const step = await runAction(aws, workspace, inputs(), { oidc: true });
    expect(step.stdout).not.toContain('::error::');
    expect(step.status).toBe(0);
    const { outputs } = step;
    expect(outputs.changed).toBe('true');
    expect(outputs['instance-id']).toMatch(/^i-[0-9a-f]{17}$/);
    expect(outputs).toMatchObject({
      'pip-path': '/mnt/efs/lib',
      'local-path': '/mnt/efs/models',
      's3-path': '/mnt/efs/bert',
      'efs-pip-path': '/lambda/lib',
      'efs-local-path': '/lambda/models',
      'efs-s3-path': '/lambda/bert',
    });
    const releases = JSON.parse(outputs['release-ids'] ?? '{}');
    expect(Object.keys(releases).sort()).toEqual(['bert', 'lib', 'models']);

    for (const [target, releaseId] of Object.entries(releases)) {
      const link = path.join(root(), target);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe(`.${target}.efsync/${releaseId}`);
    }
    const models = readTree(path.join(root(), 'models'));
    expect(models).toEqual(
      Object.fromEntries(Object.entries(MODEL).map(([name, text]) => [name.replace('models/', ''), Buffer.from(text)])),
    );
    // Exactly the objects under the S3 source prefix: none missing, none extra, every byte the same.
    const bert = readTree(path.join(root(), 'bert'));
    expect(bert).toEqual(await s3Source(aws));
    expect(Object.keys(bert).sort()).toEqual(['config.json', 'vocab.txt', 'weights/part-0001.bin']);
    const lib = readTree(path.join(root(), 'lib'));
    expect(lib['alpha/__init__.py']?.toString()).toBe('"""The alpha test package."""\n__version__ = "1.0"\n');
    expect(lib['beta/__init__.py']?.toString()).toBe('"""The beta test package."""\n__version__ = "2.0"\n');
    expect(Object.keys(lib).some((name) => name.endsWith('.pyc'))).toBe(false);

    const stats = JSON.parse(outputs.stats ?? '{}');
    expect(stats.files).toEqual({
      added: Object.keys(models).length + Object.keys(bert).length + Object.keys(lib).length,
      changed: 0,
      deleted: 0,
    });
    expect(step.summary).toContain('<code>models</code>');
    expect(step.summary).toContain('FileSystemConfigs');
    expect(step.summary).toContain('PYTHONPATH');
    expect(step.post.status).toBe(0);
  });

  it.sequential('a second identical run changes nothing and launches nothing (default credential chain)', async () => {
    const { aws, workspace } = sources;
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs());
    expect(step.status).toBe(0);
    expect(step.outputs.changed).toBe('false');
    expect(step.outputs['instance-id']).toBe('');
    expect(JSON.parse(step.outputs.stats ?? '{}').files).toEqual({ added: 0, changed: 0, deleted: 0 });
    const operations = (await aws.log(since)).map((e) => e.operation);
    expect(operations).not.toContain('RunInstances');
    expect(operations).not.toContain('SendCommand');
    expect(step.stdout).toContain('Nothing changed: no instance is needed.');
    expect(step.stdout).not.toContain('Installing requirements.txt');
  });

  it.sequential('a requirements change makes a new dependency release, and rollback serves the previous one again', async () => {
    const { aws, workspace } = sources;
    const link = (target: string) => fs.readlinkSync(path.join(root(), target));
    const before = link('lib');
    const untouched = { models: link('models'), bert: link('bert') };
    const beforeTree = readTree(path.join(root(), 'lib'));
    fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'alpha==1.1\n');
    const bumped = await runAction(aws, workspace, inputs());
    expect(bumped.status).toBe(0);
    expect(bumped.outputs.changed).toBe('true');
    const after = link('lib');
    expect(after).not.toBe(before);
    const afterTree = readTree(path.join(root(), 'lib'));
    expect(afterTree['alpha/__init__.py']?.toString()).toBe('"""The alpha test package."""\n__version__ = "1.1"\n');

    // Only the dependency target changed: alpha's module, and its metadata directory 1.0 → 1.1; beta is as it was.
    const diff = difference(beforeTree, afterTree);
    expect(diff.changed).toEqual(['alpha/__init__.py']);
    expect(diff.added.length).toBeGreaterThan(0);
    expect(diff.added.every((name) => name.startsWith('alpha-1.1.dist-info/'))).toBe(true);
    expect(diff.deleted.map((name) => name.replace('alpha-1.0.dist-info/', 'alpha-1.1.dist-info/'))).toEqual(
      diff.added,
    );
    const counts = { added: diff.added.length, changed: 1, deleted: diff.deleted.length };
    expect(JSON.parse(bumped.outputs.stats ?? '{}').files).toEqual(counts);
    // Per target, as the job summary reports it: lib published with exactly those counts, the others unchanged.
    const rows = summaryRows(bumped);
    expect(rows.map((cells) => cells.slice(0, 2))).toEqual([
      ['<code>lib</code>', '✅ published'],
      ['<code>models</code>', '⚪ unchanged'],
      ['<code>bert</code>', '⚪ unchanged'],
    ]);
    const lib = rows[0] ?? [];
    expect([lib[2], lib[3], lib[4]].map((cell) => Number(cell?.split(' ')[0]))).toEqual([
      counts.added,
      counts.changed,
      counts.deleted,
    ]);
    for (const cells of rows.slice(1)) expect(cells.slice(2, 5)).toEqual(['–', '–', '–']);
    expect(JSON.parse(bumped.outputs['release-ids'] ?? '{}')).toEqual({
      lib: after.replace('.lib.efsync/', ''),
      models: untouched.models.replace('.models.efsync/', ''),
      bert: untouched.bert.replace('.bert.efsync/', ''),
    });
    expect({ models: link('models'), bert: link('bert') }).toEqual(untouched);

    // Roll back the dependency target alone: the other targets have no earlier release.
    const { 'local-dir': _local, 's3-source': _s3, ...depsOnly } = inputs();
    const rolledBack = await runAction(aws, workspace, { ...depsOnly, mode: 'rollback' });
    expect(rolledBack.stdout).not.toContain('::error::');
    expect(rolledBack.status).toBe(0);
    expect(link('lib')).toBe(before);
    expect(readTree(path.join(root(), 'lib'))).toEqual(beforeTree);
    // The previous release is intact beside it.
    expect(readTree(path.join(root(), after))).toEqual(afterTree);
  });
});

describe('a 50 MB tree', { timeout: 180_000, concurrent: true }, () => {
  expectNothingLeft(() => big);

  it('stages only the changed file, deletes the deleted one, and hard-links every other file', async () => {
    const { aws } = big;
    const workspace = makeWorkspace(
      Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`data/part-${i}.bin`, Buffer.alloc(5 * 1024 * 1024, i + 1)]),
      ),
    );
    const local = { 'local-dir': 'data', 'local-target': 'big' };
    const first = await runAction(aws, workspace, local);
    expect(first.status).toBe(0);
    const root = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
    const firstRelease = path.join(root, fs.readlinkSync(path.join(root, 'big')));

    const changed = Buffer.alloc(5 * 1024 * 1024, 0xee);
    fs.writeFileSync(path.join(workspace, 'data/part-3.bin'), changed);
    fs.rmSync(path.join(workspace, 'data/part-7.bin'));
    const second = await runAction(aws, workspace, local);
    expect(second.status).toBe(0);
    const stats = JSON.parse(second.outputs.stats ?? '{}');
    expect(stats.files).toEqual({ added: 0, changed: 1, deleted: 1 });
    // One tar part: the file's header block, its bytes (a whole number of blocks), and the two end blocks.
    expect(stats.bytes.uploaded).toBe(512 + changed.length + 1024);

    const secondRelease = path.join(root, fs.readlinkSync(path.join(root, 'big')));
    expect(secondRelease).not.toBe(firstRelease);
    expect(fs.existsSync(path.join(secondRelease, 'part-7.bin'))).toBe(false);
    expect(fs.readFileSync(path.join(secondRelease, 'part-3.bin')).equals(changed)).toBe(true);
    for (const i of [0, 1, 2, 4, 5, 6, 8, 9]) {
      const a = fs.statSync(path.join(firstRelease, `part-${i}.bin`));
      const b = fs.statSync(path.join(secondRelease, `part-${i}.bin`));
      expect(b.ino).toBe(a.ino);
    }
    expect(fs.statSync(path.join(secondRelease, 'part-3.bin')).ino).not.toBe(
      fs.statSync(path.join(firstRelease, 'part-3.bin')).ino,
    );
  });
});

describe('efsync.yaml', { timeout: 180_000, concurrent: true }, () => {
  expectNothingLeft(() => yaml);

  it('with every predecessor key, plans exactly what the equivalent inputs plan, and publishes efsync’s layout', async () => {
    const { aws, workspace, wheels } = yaml;
    const { info } = aws;
    const keys = [
      `efs_filesystem_id: ${info.fileSystemId}`,
      `subnet_Id: ${info.subnetIds[0]}`,
      'ec2_key_name: efsync-key',
      'aws_profile: default',
      `aws_region: ${info.region}`,
      'efs_pip_dir: python',
      "python_version: '3.12'",
      'requirements: requirements.txt',
      `s3_bucket: ${info.sourceBucket}`,
      `s3_keyprefix: ${info.sourcePrefix}`,
      'file_dir: models',
      'file_dir_on_ec2: ml',
      'clean_efs: all',
    ].join('\n');
    fs.writeFileSync(path.join(workspace, 'efsync.yaml'), `${keys}\n`);
    const common = {
      'staging-bucket': info.stagingBucket,
      'pip-args': `--no-index --find-links ${wheels}`,
      'dry-run': 'true',
    };
    const fromYaml = await runAction(aws, workspace, {
      ...common,
      config: 'efsync.yaml',
      'aws-region': '',
      'file-system-id': '',
    });
    const fromInputs = await runAction(aws, workspace, {
      ...common,
      'file-system-id': info.fileSystemId,
      'subnet-id': info.subnetIds[0] ?? '',
      'aws-region': info.region,
      'pip-target': 'python',
      'python-version': '3.12',
      requirements: 'requirements.txt',
      's3-source': `s3://${info.sourceBucket}/${info.sourcePrefix}`,
      's3-target': 'ml',
      'local-dir': 'models',
      'local-target': 'ml/models',
      delete: 'true',
    });
    expect(fromYaml.status).toBe(0);
    expect(fromYaml.stdout).toContain('ec2_key_name is ignored');
    const planOf = (step: typeof fromYaml) => step.stdout.split('\n').filter((line) => /^(python|ml): /.test(line));
    // The plan of each target, and how ml's S3 objects will be verified.
    expect(planOf(fromYaml)).toHaveLength(3);
    expect(planOf(fromYaml).join('\n')).toMatch(/^ml: \d+ S3 objects? to fetch, verified by /m);
    expect(planOf(fromYaml)).toEqual(planOf(fromInputs));
    // The same outputs, but for the seconds each took.
    const outputsOf = (step: typeof fromYaml) => {
      const stats = JSON.parse(step.outputs.stats ?? '{}');
      return { ...step.outputs, stats: { files: stats.files, bytes: stats.bytes } };
    };
    expect(outputsOf(fromYaml)).toEqual(outputsOf(fromInputs));

    const published = await runAction(aws, workspace, {
      ...common,
      'dry-run': 'false',
      config: 'efsync.yaml',
      'aws-region': '',
      'file-system-id': '',
    });
    expect(published.stdout).not.toContain('::error::');
    expect(published.status).toBe(0);
    expect(published.outputs.changed).toBe('true');
    const root = path.join(info.stateDir, 'efs', info.fileSystemId);
    // ml holds the S3 objects, with the workspace folder inside it at models/: exactly those, byte for byte.
    const ml = readTree(path.join(root, 'ml'));
    const s3 = await s3Source(aws);
    expect(ml).toEqual({
      ...s3,
      ...Object.fromEntries(Object.entries(MODEL).map(([name, text]) => [name, Buffer.from(text)])),
    });
    expect(fs.lstatSync(path.join(root, 'ml')).isSymbolicLink()).toBe(true);
    expect(published.outputs['local-path']).toBe('/mnt/efs/ml/models');
  });
});
