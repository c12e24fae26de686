// End to end on the writer function: the committed dist/ bundles, run as the runner runs them with engine lambda,
// publish all three sources through the function the template deploys (the test bed runs it as Lambda does, its code
// the template's inline bootstrap, the agent the .pyz dist/ ships), with no instance: no RunInstances, no SendCommand.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { buildWheels, leftovers, makeWorkspace, readTree, runAction, saveRequestLog } from './support.ts';

const MODEL = {
  'models/config.json': '{"layers": 12}\n',
  'models/weights/a.bin': 'a'.repeat(5000),
  'models/weights/b.bin': 'b'.repeat(7000),
};

let aws: LocalAws;
let workspace: string;
let wheels: string;

beforeAll(async () => {
  aws = await startLocalAws([]);
  workspace = makeWorkspace({ 'requirements.txt': 'alpha==1.0\n', ...MODEL });
  wheels = buildWheels(workspace, ['alpha==1.0:beta>=2', 'beta==2.0']);
}, 60_000);
afterAll(async () => {
  await saveRequestLog(aws, 'engine-lambda');
  await aws.stop();
});
afterEach(async () => {
  expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
});

// Without an access point the targets are at the file system's root, which the writer's access point mounts.
const root = () => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
const inputs = () => ({
  engine: 'lambda',
  'writer-function': aws.info.stacks.efsync?.writerFunction ?? '',
  requirements: 'requirements.txt',
  'python-version': '3.12',
  compile: 'false',
  'pip-args': `--no-index --find-links ${wheels}`,
  'local-dir': 'models',
  's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}`,
});
const operations = async (since: number) => (await aws.log(since)).map((e) => e.operation);

describe('engine lambda', { timeout: 180_000 }, () => {
  it('publishes all three sources through the writer function, byte for byte, and launches nothing', async () => {
    expect(aws.info.stacks.efsync?.writerFunction).toBe('efsync-writer');
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs(), { oidc: true });
    expect(step.stdout, step.stdout.slice(-3000)).not.toContain('::error::');
    expect(step.status).toBe(0);
    expect(step.outputs).toMatchObject({
      changed: 'true',
      engine: 'lambda',
      'instance-id': '',
      'efs-local-path': '/models',
    });
    expect(step.stdout).toContain('Invoking the writer function efsync-writer');
    const models = readTree(path.join(root(), 'models'));
    expect(models).toEqual(
      Object.fromEntries(Object.entries(MODEL).map(([name, text]) => [name.replace('models/', ''), Buffer.from(text)])),
    );
    expect(Object.keys(readTree(path.join(root(), 'bert'))).sort()).toEqual([
      'config.json',
      'vocab.txt',
      'weights/part-0001.bin',
    ]);
    expect(readTree(path.join(root(), 'lib'))['alpha/__init__.py']?.toString()).toContain('__version__ = "1.0"');
    const called = await operations(since);
    expect(called).toContain('Invoke');
    expect(called).not.toContain('RunInstances');
    expect(called).not.toContain('SendCommand');
    expect(step.post.status).toBe(0);
  });

  it('then a no-op invokes nothing', async () => {
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs());
    expect(step.status).toBe(0);
    expect(step.outputs).toMatchObject({ changed: 'false', engine: '' });
    const called = await operations(since);
    expect(called).not.toContain('Invoke');
    expect(called).not.toContain('RunInstances');
  });

  it('then a one-file change hard-links the rest from the release before', async () => {
    const before = fs.statSync(path.join(root(), 'models', 'weights', 'b.bin')).ino;
    fs.writeFileSync(path.join(workspace, 'models', 'weights', 'a.bin'), 'c'.repeat(6000));
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs());
    expect(step.stdout, step.stdout.slice(-3000)).not.toContain('::error::');
    expect(step.outputs).toMatchObject({ changed: 'true', engine: 'lambda' });
    expect(fs.readFileSync(path.join(root(), 'models', 'weights', 'a.bin'), 'utf8')).toBe('c'.repeat(6000));
    // The unchanged file is the same inode as in the release before: linked, not copied.
    expect(fs.statSync(path.join(root(), 'models', 'weights', 'b.bin')).ino).toBe(before);
    expect(JSON.parse(step.outputs.stats ?? '{}').files).toEqual({ added: 0, changed: 1, deleted: 0 });
    const called = await operations(since);
    expect(called).not.toContain('RunInstances');
    expect(called).not.toContain('SendCommand');
  });
});
