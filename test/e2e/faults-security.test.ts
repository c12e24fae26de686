// The security table: each row an attack a review carried out against the action on the test bed, run here through
// the committed bundles as a runner runs them. After every row: the release intact (or the intended one served),
// nothing outside the mount touched, no secret shown, nothing left running and no staged run left.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/client.ts';
import { expectClean, printTable, record, served } from './fault-harness.ts';
import { makeWorkspace, motoClients, runAction, saveRequestLog } from './support.ts';

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
      else if (entry.isFile())
        out[child] = createHash('sha256')
          .update(fs.readFileSync(path.join(efsRoot(), child)))
          .digest('hex');
    }
  };
  walk('');
  return out;
}

describe('security', { timeout: 240_000 }, () => {
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
            jobSha256: createHash('sha256').update(bytes).digest('hex'),
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
