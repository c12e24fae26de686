// The security table: each row an attack a review carried out against the action on the test bed, run here through
// the committed bundles as a runner runs them. After every row: the release intact (or the intended one served),
// nothing outside the mount touched, no secret shown, nothing left running and no staged run left.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type _InstanceType,
  CreateTagsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { allowedBy } from '../../testbed/iam-eval.ts';
import { findPython39 } from '../../testbed/sandbox.ts';
import { SECOND_STACK } from '../../testbed/seed.ts';
import type { PolicyDocument } from '../../testbed/stacks.ts';
import { deployed, evaluate, parameterValues, parseTemplate, SAMPLE, TEMPLATE_PATH } from '../infra/schema.ts';
import { sha256 } from '../support/hash.ts';
import { clientsOf, frontConfig, motoClients } from '../support/local-aws.ts';
import { HOSTILE, readAsRunner } from '../support/runner-commands.ts';
import { expectClean, outcome, printTable, record, rows, served } from './fault-harness.ts';
import { leftovers, makeWorkspace, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let edits = 0;
const GROUP = 'security';
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  const first = await runAction(aws, workspace, INPUTS);
  expect(first.status, first.stdout.slice(-3000)).toBe(0);
}, 120_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-security');
  await aws?.stop();
});

const efsRoot = () => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);

function edit(): void {
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

/** Every file on the file system, path → sha256 (the target links followed as a Lambda would not: lstat only). */
function efsFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(efsRoot(), rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out[child] = sha256(fs.readFileSync(path.join(efsRoot(), child)));
    }
  };
  walk('');
  return out;
}

describe('security', { timeout: 240_000 }, () => {
  // The file system is written by Lambdas too: whoever can write through the access point plants links where the
  // agent (root, on the instance) works. Each victim stands for a file or folder of the instance's own disk.
  function victim(): { dir: string; file: string; snapshot: () => string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-victim-'));
    const file = path.join(dir, 'instance-file');
    fs.writeFileSync(file, 'the instance’s own file\n');
    const snapshot = () =>
      JSON.stringify(
        fs.readdirSync(dir).map((name) => {
          const st = fs.lstatSync(path.join(dir, name));
          const body = st.isFile() ? fs.readFileSync(path.join(dir, name), 'utf8') : '';
          return [name, st.size, st.mtimeMs, body];
        }),
      );
    return { dir, file, snapshot };
  }

  it('.efsync.lock planted as a link to a file of the instance: one error naming it, the file untouched', async () => {
    await aws.reset();
    const before = served(aws, 'models');
    const { file, snapshot } = victim();
    const was = snapshot();
    const lock = path.join(efsRoot(), '.efsync.lock');
    fs.rmSync(lock, { force: true });
    fs.symlinkSync(file, lock);
    edit();
    try {
      const step = await runAction(aws, workspace, INPUTS);
      const expected = 'failed: … .efsync.lock … symbolic link';
      const observed = record(GROUP, 'planted link .efsync.lock', expected, step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      expect(observed).toContain('.efsync.lock');
      expect(observed).toMatch(/link/i);
      expect(snapshot(), 'the instance’s file is untouched').toBe(was);
      await expectClean(aws, [step, step.post], 'models', before);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  it('.models.efsync planted as a link to a folder of the instance: one error naming it, nothing written there', async () => {
    await aws.reset();
    const { dir, snapshot } = victim();
    const was = snapshot();
    // A target whose release folder is a planted link: the first publish of target "x2".
    const releases = path.join(efsRoot(), '.x2.efsync');
    fs.rmSync(releases, { recursive: true, force: true });
    fs.symlinkSync(dir, releases);
    const ws = makeWorkspace({ 'x2/a.txt': 'a\n' });
    try {
      const step = await runAction(aws, ws, { 'local-dir': 'x2', 'timeout-minutes': '5' });
      const observed = record(GROUP, 'planted link .x2.efsync', 'failed: … .x2.efsync … symbolic link', step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      expect(observed).toContain('.x2.efsync');
      expect(snapshot(), 'nothing written in the instance’s folder').toBe(was);
      expect(fs.existsSync(path.join(efsRoot(), 'x2')), 'the target was not switched').toBe(false);
      await expectClean(aws, [step, step.post], 'models');
    } finally {
      fs.rmSync(releases, { force: true });
    }
  });

  it('.models.efsync/.tmp-history.json planted as a link: one error naming it, the link’s target untouched', async () => {
    await aws.reset();
    const before = served(aws, 'models');
    const { file, snapshot } = victim();
    const was = snapshot();
    const planted = path.join(efsRoot(), '.models.efsync', '.tmp-history.json');
    fs.rmSync(planted, { force: true });
    fs.symlinkSync(file, planted);
    edit();
    try {
      const step = await runAction(aws, workspace, INPUTS);
      const observed = record(
        GROUP,
        'planted link .tmp-history.json',
        'failed: … .tmp-history.json … symbolic link',
        step,
      );
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      expect(observed).toContain('.models.efsync/.tmp-history.json');
      expect(observed).toContain('symbolic link');
      expect(snapshot(), 'the instance’s file is untouched').toBe(was);
      await expectClean(aws, [step, step.post], 'models', before);
    } finally {
      fs.rmSync(planted, { force: true });
    }
  });

  it('rollback after publish v1, v2, v3 (bad), rollback, v4: serves v2, never the release rolled back from', async () => {
    await aws.reset();
    const ws = makeWorkspace({ 'rb/v.txt': 'v1\n' });
    const inputs = { 'local-dir': 'rb', 'timeout-minutes': '5' };
    const publishVersion = async (v: string) => {
      fs.writeFileSync(path.join(ws, 'rb/v.txt'), `${v}\n`);
      const step = await runAction(aws, ws, inputs);
      expect(step.status, step.stdout.slice(-3000)).toBe(0);
    };
    const servedVersion = () => fs.readFileSync(path.join(efsRoot(), 'rb/v.txt'), 'utf8').trim();
    for (const v of ['v1', 'v2', 'v3-bad']) await publishVersion(v);
    const first = await runAction(aws, ws, { ...inputs, mode: 'rollback' });
    expect(first.status, first.stdout.slice(-3000)).toBe(0);
    expect(servedVersion()).toBe('v2');
    await publishVersion('v4');
    const second = await runAction(aws, ws, { ...inputs, mode: 'rollback' });
    const observed = second.status === 0 ? `serves ${servedVersion()}` : outcome(second);
    rows.push({ group: GROUP, name: 'rollback after v1, v2, v3-bad, rollback, v4', expected: 'serves v2', observed });
    expect(observed).toBe('serves v2');
    await expectClean(aws, [second, second.post], 'rb');
  });

  it('keep-releases 1: the release just replaced stays while a warm Lambda may have pinned it', async () => {
    await aws.reset();
    const ws = makeWorkspace({ 'kr/a.txt': 'one\n' });
    const inputs = { 'local-dir': 'kr', 'keep-releases': '1', 'timeout-minutes': '5' };
    const first = await runAction(aws, ws, inputs);
    expect(first.status, first.stdout.slice(-3000)).toBe(0);
    const pinnedReal = fs.realpathSync(path.join(efsRoot(), 'kr'));
    fs.writeFileSync(path.join(ws, 'kr/a.txt'), 'two\n');
    const second = await runAction(aws, ws, inputs);
    const kept = fs.existsSync(path.join(pinnedReal, 'a.txt'));
    const observed = second.status === 0 ? `published, replaced release ${kept ? 'kept' : 'deleted'}` : outcome(second);
    rows.push({
      group: GROUP,
      name: 'keep-releases 1, the replaced release',
      expected: 'published, replaced release kept',
      observed,
    });
    expect(observed).toBe('published, replaced release kept');
    expect(fs.readFileSync(path.join(pinnedReal, 'a.txt'), 'utf8')).toBe('one\n');
    // With keep-releases-minutes 0 nothing waits: the next publish prunes down to keep-releases.
    fs.writeFileSync(path.join(ws, 'kr/a.txt'), 'three\n');
    const third = await runAction(aws, ws, { ...inputs, 'keep-releases-minutes': '0' });
    expect(third.status, third.stdout.slice(-3000)).toBe(0);
    expect(fs.existsSync(pinnedReal)).toBe(false);
    await expectClean(aws, [third, third.post], 'kr');
  });

  it('a lock holder whose text holds workflow commands: relayed as text, no command reaches the runner', async () => {
    await aws.reset();
    edit();
    const lock = path.join(efsRoot(), '.efsync.lock');
    const hostile = HOSTILE.join('\n');
    // Another writer of the file system holds the lock (a POSIX lock, as the agent takes it) with hostile text in it.
    const holder = spawn(findPython39(), [
      '-c',
      'import fcntl, os, sys, time\n' +
        'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)\n' +
        'fcntl.lockf(fd, fcntl.LOCK_EX)\n' +
        'os.ftruncate(fd, 0); os.pwrite(fd, sys.argv[2].encode(), 0)\n' +
        'print("held", flush=True); time.sleep(float(sys.argv[3]))\n' +
        'os.ftruncate(fd, 0); fcntl.lockf(fd, fcntl.LOCK_UN)\n',
      lock,
      hostile,
      '8',
    ]);
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    // While the agent waits for the lock, its mount is up: the folder of its mount point, seen from the instance's
    // disk, admits root only (a local user of a borrowed instance can neither read nor change a release there).
    const instances = path.join(aws.info.stateDir, 'instances');
    const modes = new Set<string>();
    const watch = setInterval(() => {
      for (const id of fs.existsSync(instances) ? fs.readdirSync(instances) : []) {
        const dir = path.join(instances, id, 'mnt', 'efsync');
        if (fs.existsSync(path.join(dir, 'fs'))) modes.add((fs.statSync(dir).mode & 0o777).toString(8));
      }
    }, 200);
    try {
      const step = await runAction(aws, workspace, INPUTS, { debug: true });
      clearInterval(watch);
      rows.push({
        group: GROUP,
        name: 'mount point of the agent, while it works',
        expected: 'mode 700',
        observed: modes.size ? `mode ${[...modes].join(', ')}` : 'not seen',
      });
      expect([...modes]).toEqual(['700']);
      // The step's stdout read as the runner reads it (test/support/runner-commands.ts): the commands it would carry
      // out, other than the stop-commands blocks the action itself wraps relayed text in.
      const reading = readAsRunner(step.stdout);
      const tokens = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data.toLowerCase());
      const foreign = reading.commands.filter(
        (c) =>
          c.command !== 'stop-commands' &&
          !tokens.includes(c.command.toLowerCase()) &&
          !['add-mask', 'group', 'endgroup', 'debug', 'error', 'save-state', 'set-output'].includes(c.command),
      );
      const spoofed = [...reading.annotations, ...foreign.map((c) => `::${c.command}::`)];
      const shown = step.stdout.includes('waits for the file system lock held by ::warning title=x::spoof');
      const observed =
        step.status === 0
          ? `published, holder text ${shown ? 'shown' : 'not shown'}, ${spoofed.length} command(s) from it`
          : outcome(step);
      rows.push({
        group: GROUP,
        name: 'lock holder text full of workflow commands',
        expected: 'published, holder text shown, 0 command(s) from it',
        observed,
      });
      expect(observed, spoofed.join(', ')).toBe('published, holder text shown, 0 command(s) from it');
      // The action's own masks after the relayed text still work: its save-state holds no instance id the holder gave.
      expect(step.state).not.toContain('i-0attacker');
      await expectClean(aws, [step, step.post], 'models');
    } finally {
      clearInterval(watch);
      holder.kill();
      fs.rmSync(lock, { force: true });
    }
  });

  it('local-dir a symbolic link to the runner’s home: refused before any AWS call, nothing published', async () => {
    await aws.reset();
    const before = served(aws, 'models');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.writeFileSync(path.join(home, '.ssh/id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY----- efsync-row-5\n');
    fs.writeFileSync(path.join(home, 'credentials'), '[default]\naws_secret_access_key = efsync-row-5\n');
    const ws = makeWorkspace({});
    fs.symlinkSync(home, path.join(ws, 'models'));
    const step = await runAction(aws, ws, INPUTS);
    const expected =
      "Input 'local-dir': 'models' is a symbolic link, or lies under one, that leads outside the workspace";
    const observed = record(GROUP, 'local-dir linked out of the workspace', `failed: ${expected}`, step);
    expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
    expect(observed).toContain(expected);
    expect(await aws.log(), 'no AWS call at all').toEqual([]);
    expect(Object.values(efsFiles()).length).toBeGreaterThan(0);
    const efsText = Object.keys(efsFiles())
      .map((f) => fs.readFileSync(path.join(efsRoot(), f), 'utf8'))
      .join('\n');
    expect(efsText).not.toContain('efsync-row-5');
    await expectClean(aws, [step, step.post], 'models', before);
  });

  it('a forged result.json in staging while the command failed (exit 7, nothing ran): the run fails, no state', async () => {
    await aws.reset();
    const before = served(aws, 'models');
    edit();
    // The command never runs the agent: it fails with exit 7, as one whose text was replaced would.
    await aws.commandFault({ action: 'fail', exitCode: 7, stderr: 'nothing ran' });
    const { s3 } = motoClients(aws);
    const bucket = aws.info.stagingBucket;
    let forged = false;
    // Whoever can write the staging prefix reads the run's job and writes a result that names it.
    const forger = (async () => {
      for (let i = 0; i < 600 && !forged; i++) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'efsync/runs/' }));
        const jobKey = (listed.Contents ?? []).map((o) => o.Key ?? '').find((k) => k.endsWith('/job.json'));
        if (jobKey) {
          const body = await (
            await s3.send(new GetObjectCommand({ Bucket: bucket, Key: jobKey }))
          ).Body?.transformToByteArray();
          const bytes = Buffer.from(body ?? new Uint8Array());
          const job = JSON.parse(bytes.toString('utf8')) as {
            runId: string;
            targets: { target: string; releaseId: string }[];
          };
          const result = {
            version: 1,
            runId: job.runId,
            jobSha256: sha256(bytes),
            status: 'ok',
            targets: job.targets.map((t) => ({
              target: t.target,
              status: 'published',
              releaseId: t.releaseId,
              previousReleaseId: null,
              filesWritten: 1,
              bytesWritten: 1,
              filesLinked: 0,
              filesDeleted: 0,
              releasesPruned: [],
            })),
            seconds: 1,
          };
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: jobKey.replace(/job\.json$/, 'result.json'),
              Body: JSON.stringify(result),
            }),
          );
          forged = true;
        } else await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const step = await runAction(aws, workspace, INPUTS, { debug: true });
    await forger;
    expect(forged, 'the forger found the job and wrote a result').toBe(true);
    const expected = "The agent's result says ok, but SSM reports the command Failed with exit code 7";
    const observed = record(GROUP, 'forged result.json, command Failed', `failed: ${expected}`, step);
    expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
    expect(observed).toContain(expected);
    expect(step.outputs.changed).not.toBe('true');
    await expectClean(aws, [step, step.post], 'models', before);
    // No state was written: the next run publishes the edit rather than calling it unchanged.
    const next = await runAction(aws, workspace, INPUTS);
    expect(record(GROUP, 'the run after the forged result', 'published', next)).toBe('published');
    await expectClean(aws, [next, next.post], 'models');
  });

  it('world-writable and set-id modes: published without them (mode & 0o775)', async () => {
    await aws.reset();
    const ws = makeWorkspace({
      'modes/shared/notes.txt': 'n\n',
      'modes/bin/tool': '#!/bin/sh\n',
      'modes/plain.txt': 'p\n',
    });
    fs.chmodSync(path.join(ws, 'modes/shared/notes.txt'), 0o666);
    fs.chmodSync(path.join(ws, 'modes/bin/tool'), 0o4777);
    fs.chmodSync(path.join(ws, 'modes/shared'), 0o1777);
    const step = await runAction(aws, ws, { 'local-dir': 'modes', 'timeout-minutes': '5' });
    const release = path.join(efsRoot(), 'modes');
    const mode = (rel: string) => (fs.statSync(path.join(release, rel)).mode & 0o7777).toString(8);
    const modes = { notes: mode('shared/notes.txt'), tool: mode('bin/tool'), shared: mode('shared') };
    const observed = `${record(GROUP, 'world-writable, setuid and sticky modes', 'published', step)}: ${JSON.stringify(modes)}`;
    expect(observed).toBe('published: {"notes":"664","tool":"775","shared":"775"}');
    await expectClean(aws, [step, step.post], 'modes');
  });

  it('an S3 key with a 300-byte name: refused at plan time, no instance launched', async () => {
    await aws.reset();
    const { s3 } = motoClients(aws);
    const long = `${'n'.repeat(296)}.bin`;
    await s3.send(new PutObjectCommand({ Bucket: aws.info.sourceBucket, Key: `long-names/${long}`, Body: 'x' }));
    const step = await runAction(aws, workspace, {
      's3-source': `s3://${aws.info.sourceBucket}/long-names/`,
      's3-target': 'long',
      'timeout-minutes': '5',
    });
    const expected = 'long: a name of 300 bytes, where EFS allows 255, in "nnn';
    const observed = record(GROUP, '300-byte name component', `failed: ${expected}…"`, step);
    expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
    expect(observed).toContain(expected);
    const operations = (await aws.log()).map((e) => e.operation);
    expect(operations).not.toContain('RunInstances');
    expect(operations).not.toContain('SendCommand');
    expect(fs.existsSync(path.join(efsRoot(), 'long'))).toBe(false);
    await expectClean(aws, [step, step.post], 'models');
  });
});

/** SDK clients that sign with `key`: a stack's own action key (the bed evaluates it as that stack's role), or an admin's. */
function signingAs(key: string) {
  return clientsOf(frontConfig(aws, { key, maxAttempts: 1 }));
}

/** The name of the error a call ends with, or what it did. */
const answer = (call: Promise<unknown>, done: string) =>
  call.then(
    () => done,
    (e: Error) => e.name,
  );

describe('stacks and IAM', { timeout: 300_000 }, () => {
  it('stack B’s role: refused SendCommand, CreateTags and TerminateInstances on stack A’s warm instance; B launches its own', async () => {
    await aws.reset();
    edit();
    const warmA = await runAction(aws, workspace, { ...INPUTS, 'keep-warm': '10' });
    expect(warmA.status, warmA.stdout.slice(-3000)).toBe(0);
    const instanceA = warmA.outputs['instance-id'] ?? '';
    expect(instanceA).toMatch(/^i-/);
    const other = aws.info.stacks[SECOND_STACK];
    if (!other) throw new Error('the test bed seeds no second stack');
    const b = signingAs(other.actionAccessKeyId);
    const sent = await answer(
      b.ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [instanceA],
          Parameters: { commands: ['cat /etc/shadow'] },
        }),
      ),
      'sent',
    );
    const tagged = await answer(
      b.ec2.send(
        new CreateTagsCommand({
          Resources: [instanceA],
          Tags: [{ Key: 'efsync:warm-until', Value: '2099-01-01T00:00:00Z' }],
        }),
      ),
      'tagged',
    );
    const terminated = await answer(
      b.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceA] })),
      'terminated',
    );
    // Stack B's own publish with keep-warm, onto the same file system: it never takes A's warm instance.
    const stepB = await runAction(
      aws,
      makeWorkspace({ 'other/a.txt': 'from repository B\n' }),
      {
        stack: other.stackName,
        'local-dir': 'other',
        'local-target': 'other-data',
        'keep-warm': '10',
        'timeout-minutes': '5',
        'role-to-assume': other.roleArn,
        'staging-bucket': other.stagingBucket,
        'security-group-ids': other.instanceSecurityGroupId,
        'instance-profile': other.instanceProfile,
      },
      { oidc: true, env: { ACTIONS_ID_TOKEN_REQUEST_TOKEN: other.oidcToken, GITHUB_REPOSITORY: other.repository } },
    );
    const observed =
      `SendCommand ${sent}, CreateTags ${tagged}, TerminateInstances ${terminated}; ` +
      `B's run ${stepB.status === 0 ? stepB.outputs['instance-source'] : outcome(stepB)}` +
      `${stepB.outputs['instance-id'] === instanceA ? " on A's instance" : ''}`;
    const expected =
      "SendCommand AccessDeniedException, CreateTags UnauthorizedOperation, TerminateInstances UnauthorizedOperation; B's run launched";
    rows.push({ group: GROUP, name: 'stack B against stack A’s warm instance', expected, observed });
    expect(observed).toBe(expected);
    // The warm instances end as a sweep would end them; then nothing is left.
    const admin = signingAs('testing');
    const ids = [instanceA, stepB.outputs['instance-id'] ?? ''].filter((id) => id.startsWith('i-'));
    await admin.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    await expectClean(aws, [warmA, warmA.post, stepB, stepB.post], 'models');
  });

  it('the action role launches only with the stack’s security group and auto’s instance families', async () => {
    await aws.reset();
    const a = signingAs(aws.info.actionAccessKeyId);
    const image =
      (
        await a.ssm.send(
          new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' }),
        )
      ).Parameter?.Value ?? '';
    const tags = [
      { Key: 'managed-by', Value: 'efsync' },
      { Key: 'efsync:stack', Value: aws.info.stackName },
    ];
    const launch = (groups: string[], type: _InstanceType) =>
      answer(
        a.ec2.send(
          new RunInstancesCommand({
            ImageId: image,
            InstanceType: type,
            MinCount: 1,
            MaxCount: 1,
            SubnetId: aws.info.subnetIds[0],
            SecurityGroupIds: groups,
            IamInstanceProfile: { Name: aws.info.instanceProfile },
            MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
            TagSpecifications: [
              { ResourceType: 'instance', Tags: tags },
              { ResourceType: 'volume', Tags: tags },
            ],
          }),
        ),
        'launched',
      );
    const otherGroup = await launch([aws.info.mountTargetSecurityGroupId], 't4g.small');
    const otherType = await launch([aws.info.instanceSecurityGroupId], 'r6g.large');
    const observed = `another group of the VPC: ${otherGroup}; r6g.large: ${otherType}`;
    const expected = 'another group of the VPC: UnauthorizedOperation; r6g.large: UnauthorizedOperation';
    rows.push({ group: GROUP, name: 'launch with another group, another type', expected, observed });
    expect(observed).toBe(expected);
    expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
  });

  it('the template: no instance role reads SSM parameters; RefPattern refuses pull_request and bare wildcards', async () => {
    const template = parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
    const { resources, values } = deployed(template);
    const role = resources.InstanceRole?.Properties ?? {};
    const managed = (role.ManagedPolicyArns as string[] | undefined) ?? [];
    const policies = (
      (role.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined) ?? []
    ).map((p) => ({ name: p.PolicyName, document: p.PolicyDocument }));
    const principal = `arn:aws:sts::123456789012:assumed-role/${values.InstanceRole}/i-0123456789abcdef0`;
    const readsParameter =
      managed.length > 0 ||
      (await allowedBy(policies, principal, {
        action: 'ssm:GetParameter',
        resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/prod/database-password',
        context: {},
      }));
    // CloudFormation refuses a stack whose parameter breaks its AllowedPattern or a rule's assertion, before creating
    // anything ("Rules", AWS CloudFormation User Guide, rules-section-structure).
    const deploys = (given: Record<string, string>) => {
      const all = parameterValues(template, { ...SAMPLE, ...given });
      const patterns = Object.entries(template.Parameters ?? {}).every(([name, p]) => {
        const pattern = (p as { AllowedPattern?: string }).AllowedPattern;
        return pattern === undefined || new RegExp(pattern).test(all[name] ?? '');
      });
      const rules = Object.values(
        (template.Rules ?? {}) as Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown }[] }>,
      ).every(
        (rule) =>
          (rule.RuleCondition !== undefined && !evaluate(rule.RuleCondition, all, template)) ||
          rule.Assertions.every((a) => evaluate(a.Assert, all, template)),
      );
      return patterns && rules ? 'deploys' : 'refused';
    };
    const observed =
      `instance role reads parameters: ${readsParameter ? 'yes' : 'no'}; RefPattern pull_request: ` +
      `${deploys({ RefPattern: 'pull_request' })}, ref:refs/*: ${deploys({ RefPattern: 'ref:refs/*' })}, ` +
      `environment:production: ${deploys({ RefPattern: 'environment:production' })}, pull_request with ` +
      `AllowPullRequestsAndWildcards: ${deploys({ RefPattern: 'pull_request', AllowPullRequestsAndWildcards: 'true' })}`;
    const expected =
      'instance role reads parameters: no; RefPattern pull_request: refused, ref:refs/*: refused, ' +
      'environment:production: deploys, pull_request with AllowPullRequestsAndWildcards: deploys';
    rows.push({ group: GROUP, name: 'the template: instance role, RefPattern', expected, observed });
    expect(observed).toBe(expected);
  });
});
