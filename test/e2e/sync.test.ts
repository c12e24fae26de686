// End to end: the committed dist/ bundles, run as the runner runs them, publish all three sources onto the test bed's
// EFS directory through a real instance sandbox, SSM and the real agent.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { SOURCE_OBJECTS } from '../local-aws/seed.ts';
import { buildWheels, leftovers, makeWorkspace, readTree, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let wheels: string;
const MODEL = {
  'models/config.json': '{"layers": 12}\n',
  'models/weights/a.bin': 'a'.repeat(5000),
  'models/notes 1.txt': 'odd name\n',
};

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'requirements.txt': 'alpha==1.0\n', ...MODEL });
  wheels = buildWheels(workspace, ['alpha==1.0:beta>=2', 'alpha==1.1:beta>=2', 'beta==2.0']);
}, 60_000);
afterAll(async () => {
  await saveRequestLog(aws, 'sync');
  await aws?.stop();
});
afterEach(async () => {
  // After every run, success or failure: no instance left running and no staged run objects.
  expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
});

const efsRoot = () => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'lambda');
const inputs = () => ({
  'access-point-id': aws.info.accessPointId,
  requirements: 'requirements.txt',
  'python-version': '3.12',
  'pip-args': `--no-index --find-links ${wheels}`,
  'local-dir': 'models',
  's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}`,
});

describe('publishing all three sources', { timeout: 180_000 }, () => {
  it('lands every source byte for byte at its target, each a symlink to a release (OIDC credentials)', async () => {
    const step = await runAction(aws, workspace, inputs(), { oidc: true });
    expect(step.stdout).not.toContain('::error::');
    expect(step.status).toBe(0);
    const { outputs } = step;
    expect(outputs.changed).toBe('true');
    expect(outputs['instance-id']).toMatch(/^i-/);
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
      const link = path.join(efsRoot(), target);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe(`.${target}.efsync/${releaseId}`);
    }
    const models = readTree(path.join(efsRoot(), 'models'));
    expect(Object.keys(models).sort()).toEqual(['config.json', 'notes 1.txt', 'weights/a.bin']);
    for (const [name, content] of Object.entries(MODEL))
      expect(models[name.replace('models/', '')]?.toString()).toBe(content);
    const bert = readTree(path.join(efsRoot(), 'bert'));
    for (const [name, content] of Object.entries(SOURCE_OBJECTS)) expect(bert[name]?.toString()).toBe(content);
    const lib = readTree(path.join(efsRoot(), 'lib'));
    expect(lib['alpha/__init__.py']?.toString()).toContain('1.0');
    expect(lib['beta/__init__.py']?.toString()).toContain('2.0');
    expect(Object.keys(lib).some((name) => name.endsWith('.pyc'))).toBe(false);

    const stats = JSON.parse(outputs.stats ?? '{}');
    expect(stats.files.added).toBe(Object.keys(models).length + Object.keys(bert).length + Object.keys(lib).length);
    expect(step.summary).toContain('<code>models</code>');
    expect(step.summary).toContain('FileSystemConfigs');
    expect(step.summary).toContain('PYTHONPATH');
    expect(step.post.status).toBe(0);
  });

  it('a second identical run changes nothing and launches nothing (default credential chain)', async () => {
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs());
    expect(step.status).toBe(0);
    expect(step.outputs.changed).toBe('false');
    expect(step.outputs['instance-id']).toBe('');
    const operations = (await aws.log(since)).map((e) => e.operation);
    expect(operations).not.toContain('RunInstances');
    expect(operations).not.toContain('SendCommand');
    expect(step.stdout).toContain('Nothing changed: no instance is needed.');
    expect(step.stdout).not.toContain('Installing requirements.txt');
  });

  it('a requirements change makes a new dependency release, and rollback serves the previous one again', async () => {
    const before = fs.readlinkSync(path.join(efsRoot(), 'lib'));
    fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'alpha==1.1\n');
    const bumped = await runAction(aws, workspace, inputs());
    expect(bumped.status).toBe(0);
    const after = fs.readlinkSync(path.join(efsRoot(), 'lib'));
    expect(after).not.toBe(before);
    expect(fs.readFileSync(path.join(efsRoot(), 'lib/alpha/__init__.py'), 'utf8')).toContain('1.1');
    // Only the dependency target changed.
    const stats = JSON.parse(bumped.outputs.stats ?? '{}');
    expect(stats.files.changed).toBeGreaterThan(0);

    // Roll back the dependency target alone: the other targets have no earlier release.
    const { 'local-dir': _local, 's3-source': _s3, ...depsOnly } = inputs();
    const rolledBack = await runAction(aws, workspace, { ...depsOnly, mode: 'rollback' });
    expect(rolledBack.stdout).not.toContain('::error::');
    expect(rolledBack.status).toBe(0);
    expect(fs.readlinkSync(path.join(efsRoot(), 'lib'))).toBe(before);
    expect(fs.readFileSync(path.join(efsRoot(), 'lib/alpha/__init__.py'), 'utf8')).toContain('1.0');
    // The previous release is intact beside it.
    expect(fs.existsSync(path.join(efsRoot(), after))).toBe(true);
  });
});

describe('a 50 MB tree', { timeout: 180_000 }, () => {
  it('stages only the changed file, deletes the deleted one, and hard-links every other file', async () => {
    const big = makeWorkspace(
      Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`data/part-${i}.bin`, Buffer.alloc(5 * 1024 * 1024, i + 1)]),
      ),
    );
    const local = { 'local-dir': 'data', 'local-target': 'big' };
    const first = await runAction(aws, big, local);
    expect(first.status).toBe(0);
    const root = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
    const firstRelease = path.join(root, fs.readlinkSync(path.join(root, 'big')));

    const changed = Buffer.alloc(5 * 1024 * 1024, 0xee);
    fs.writeFileSync(path.join(big, 'data/part-3.bin'), changed);
    fs.rmSync(path.join(big, 'data/part-7.bin'));
    const second = await runAction(aws, big, local);
    expect(second.status).toBe(0);
    const stats = JSON.parse(second.outputs.stats ?? '{}');
    expect(stats.files).toEqual({ added: 0, changed: 1, deleted: 1 });
    expect(stats.bytes.uploaded).toBeGreaterThan(changed.length);
    expect(stats.bytes.uploaded).toBeLessThanOrEqual(1.1 * changed.length);

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

describe('efsync.yaml', { timeout: 180_000 }, () => {
  it('with every predecessor key, plans exactly what the equivalent inputs plan, and publishes efsync’s layout', async () => {
    const { info } = aws;
    const yaml = [
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
    fs.writeFileSync(path.join(workspace, 'efsync.yaml'), `${yaml}\n`);
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
    expect(planOf(fromYaml)).toHaveLength(2);
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
    const root = path.join(info.stateDir, 'efs', info.fileSystemId);
    const ml = readTree(path.join(root, 'ml'));
    expect(ml['config.json']?.toString()).toBe(SOURCE_OBJECTS['config.json']);
    expect(ml['models/config.json']?.toString()).toBe(MODEL['models/config.json']);
    expect(fs.lstatSync(path.join(root, 'ml')).isSymbolicLink()).toBe(true);
    expect(published.outputs['local-path']).toBe('/mnt/efs/ml/models');
  });
});
