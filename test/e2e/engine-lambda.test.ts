// End to end on the writer function: the committed dist/ bundles, run as the runner runs them with engine lambda,
// publish all three sources through the function the template deploys (the test bed runs it as Lambda does, its code
// the template's inline bootstrap, the agent the .pyz dist/ ships), with no instance: no RunInstances, no SendCommand.
import fs from 'node:fs';
import path from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { motoClients } from '../support/local-aws.ts';
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
  aws = await startLocalAws(['--online-delay-ms', '300']);
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
    expect(step.stdout).toContain('hand the job to the writer function efsync-writer (engine lambda)');
    expect(step.summary).toContain('<b>Engine</b>: the writer function efsync-writer');
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

  it("publishes through the quick start's access point: under its root directory, everything its POSIX user's", async () => {
    // The bed's access point for Lambdas: root directory /lambda, uid and gid 1000, CreationInfo 1000:1000 755.
    const lambdaRoot = path.join(root(), 'lambda');
    expect(fs.existsSync(lambdaRoot)).toBe(false);
    const viaAccessPoint = { ...inputs(), 'access-point-id': aws.info.accessPointId };
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, viaAccessPoint);
    expect(step.stdout, step.stdout.slice(-3000)).not.toContain('::error::');
    expect(step.outputs).toMatchObject({ changed: 'true', engine: 'lambda', 'efs-local-path': '/lambda/models' });
    expect(step.stdout).toContain('The job fits the writer function efsync-writer: about');
    expect(step.stdout).toContain('writes under "/lambda" as uid 1000 gid 1000, as the run\'s access point would');
    expect(readTree(path.join(lambdaRoot, 'models'))['weights/b.bin']?.toString()).toBe(MODEL['models/weights/b.bin']);
    // Made as the access point's CreationInfo says, and everything in it its POSIX user's, links themselves included.
    const top = fs.statSync(lambdaRoot);
    expect([top.uid, top.gid, top.mode & 0o777]).toEqual([1000, 1000, 0o755]);
    const owners = new Set<string>();
    const walk = (dir: string) => {
      for (const name of fs.readdirSync(dir)) {
        const at = path.join(dir, name);
        const st = fs.lstatSync(at);
        owners.add(`${st.uid}:${st.gid}`);
        if (st.isDirectory()) walk(at);
      }
    };
    walk(lambdaRoot);
    expect([...owners]).toEqual(['1000:1000']);
    const called = await operations(since);
    expect(called).not.toContain('RunInstances');
    expect(called).not.toContain('SendCommand');

    // auto takes the function for the same place, and says why.
    fs.writeFileSync(path.join(workspace, 'models', 'config.json'), '{"layers": 16}\n');
    try {
      const auto = await runAction(aws, workspace, { ...viaAccessPoint, engine: 'auto' });
      expect(auto.stdout, auto.stdout.slice(-3000)).not.toContain('::error::');
      expect(auto.outputs).toMatchObject({ changed: 'true', engine: 'lambda' });
      expect(fs.readFileSync(path.join(lambdaRoot, 'models', 'config.json'), 'utf8')).toBe('{"layers": 16}\n');
      expect(fs.lstatSync(path.join(lambdaRoot, 'models', 'config.json')).uid).toBe(1000);
    } finally {
      fs.writeFileSync(path.join(workspace, 'models', 'config.json'), MODEL['models/config.json']);
    }
  });

  it("auto takes an instance for a job that does not end well inside the function's timeout, saying why", async () => {
    // An administrator cut the function's timeout to 12 s: a third of it is less than even a small job's modeled time.
    await aws.control('PUT', '/functions/efsync-writer/configuration', { Timeout: 12 });
    try {
      fs.writeFileSync(path.join(workspace, 'models', 'config.json'), '{"layers": 32}\n');
      const since = (await aws.log()).at(-1)?.seq ?? 0;
      const step = await runAction(aws, workspace, { ...inputs(), engine: 'auto' });
      expect(step.stdout, step.stdout.slice(-3000)).not.toContain('::error::');
      expect(step.stdout).toMatch(
        /The job does not fit the writer function efsync-writer: about \d+ s to write .* \(modeled\) is not well inside its timeout of 12 s \(a third of it at most\): an instance carries the job out\./,
      );
      expect(step.outputs).toMatchObject({ changed: 'true', engine: 'instance' });
      expect(fs.readFileSync(path.join(root(), 'models', 'config.json'), 'utf8')).toBe('{"layers": 32}\n');
      const called = await operations(since);
      expect(called).toContain('RunInstances');
      expect(called).not.toContain('Invoke');
    } finally {
      await aws.control('PUT', '/functions/efsync-writer/configuration', { Timeout: 900 });
      fs.writeFileSync(path.join(workspace, 'models', 'config.json'), MODEL['models/config.json']);
    }
  });

  it('a mount target that no longer admits the function: one error under lambda, an instance under auto', async () => {
    const { ec2 } = motoClients(aws);
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['efsync-writer'] }] }),
    );
    const writerGroup = groups.SecurityGroups?.[0]?.GroupId ?? '';
    const rule = {
      GroupId: aws.info.mountTargetSecurityGroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: writerGroup }] },
      ],
    };
    await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
    // A security group's removed rule leaves tracked connections be ("Security group connection tracking", Amazon EC2
    // User Guide): the refusal shows when the function next attaches, here after Lambda reclaimed it (Inactive). The
    // run wakes it, waits until it is Active again, and then its mount is refused.
    await aws.control('POST', '/functions/efsync-writer/inactive');
    try {
      const served = fs.readFileSync(path.join(root(), 'models', 'config.json'), 'utf8');
      fs.writeFileSync(path.join(workspace, 'models', 'config.json'), '{"layers": 24}\n');
      const refused = await runAction(aws, workspace, inputs());
      expect(refused.status).toBe(1);
      const errors = refused.stdout.split('\n').filter((line) => line.startsWith('::error::'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        'The writer function efsync-writer could not run the job: it could not open a network connection to the file system (EFSMountConnectivityException)',
      );
      expect(fs.readFileSync(path.join(root(), 'models', 'config.json'), 'utf8')).toBe(served);

      const since = (await aws.log()).at(-1)?.seq ?? 0;
      const moved = await runAction(aws, workspace, { ...inputs(), engine: 'auto' });
      expect(moved.stdout, moved.stdout.slice(-3000)).not.toContain('::error::');
      expect(moved.stdout).toContain('engine auto: an instance carries the job out instead.');
      expect(moved.outputs).toMatchObject({ changed: 'true', engine: 'instance', 'instance-source': 'launched' });
      expect(fs.readFileSync(path.join(root(), 'models', 'config.json'), 'utf8')).toBe('{"layers": 24}\n');
      expect(await operations(since)).toContain('RunInstances');
    } finally {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
      ec2.destroy();
    }
  });
});
