// The writer function's fault table: the committed bundles, run as a runner runs them with engine lambda, against the
// test bed's Lambda (the template's function, its inline bootstrap, the agent dist/ ships) with a fault of the function
// itself: Inactive, killed at its timeout mid-job, a job delivered twice, two runs at once, workflow commands in what
// it says. After each: no instance, no staged run left, no secret shown, and the release as the row says.
import fs from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { createFunctionRole, definition, waitActive } from '../../testbed/lambda-support.ts';
import { motoClients } from '../support/local-aws.ts';
import { parseCommandFile, startBundle } from '../support/run-action.ts';
import { HOSTILE, readAsRunner } from '../support/runner-commands.ts';
import { expectClean, printTable, record, rows, served } from './fault-harness.ts';
import { actionSetup, makeWorkspace, readTree, runAction, runPost, saveRequestLog } from './support.ts';

const GROUP = 'writer function';
let aws: LocalAws;
let workspace: string;
let edits = 0;

const writer = () => aws.info.stacks.efsync?.writerFunction ?? '';
const LAMBDA = () => ({ engine: 'lambda', 'writer-function': writer(), 'timeout-minutes': '5' });
const MODELS = () => ({ ...LAMBDA(), 'local-dir': 'models' });
const BERT = () => ({ ...LAMBDA(), 's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}` });

const efs = (...parts: string[]) => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, ...parts);
const since = async () => (await aws.log()).at(-1)?.seq ?? 0;
const calls = async (from: number) => (await aws.log(from)).filter((e) => e.answeredBy !== 'fault');

function edit(): string {
  const text = `edit ${++edits}\n`;
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), text);
  return text;
}

/** The releases of a target its history records, oldest first. */
const switches = (target: string): string[] =>
  (
    JSON.parse(fs.readFileSync(efs(`.${target}.efsync`, 'history.json'), 'utf8')) as {
      switches: { release: string }[];
    }
  ).switches.map((s) => s.release);

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n', 'models/b.txt': 'b'.repeat(3000) });
  const first = await runAction(aws, workspace, MODELS());
  expect(first.status, first.stdout.slice(-3000)).toBe(0);
  const bert = await runAction(aws, workspace, BERT());
  expect(bert.status, bert.stdout.slice(-3000)).toBe(0);
}, 120_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-lambda');
  await aws?.stop();
});

describe('writer function', { timeout: 240_000 }, () => {
  it('Inactive: the run wakes it, waits until it is Active, and publishes through it', async () => {
    await aws.reset();
    const text = edit();
    await aws.control('POST', `/functions/${writer()}/inactive`);
    const from = await since();
    const step = await runAction(aws, workspace, MODELS());
    const observed = record(GROUP, 'Inactive function', 'published', step);
    expect(observed, step.stdout.slice(-3000)).toBe('published');
    expect(step.outputs).toMatchObject({ engine: 'lambda', 'instance-id': '' });
    expect(step.stdout).toContain(
      `The writer function ${writer()} is Inactive (idle long enough for Lambda to reclaim its network): waking it.`,
    );
    expect(step.stdout).toContain(`The writer function ${writer()} is Pending: waiting until it is Active`);
    const log = await calls(from);
    // The wake: Lambda's answer to an Inactive function, as documented (502), before the job's invocation (200).
    const invokes = log.filter((e) => e.operation === 'Invoke').map((e) => e.status);
    expect(invokes[0]).toBe(502);
    expect(invokes.at(-1)).toBe(200);
    expect(log.map((e) => e.operation)).not.toContain('RunInstances');
    expect(fs.readFileSync(efs('models', 'a.txt'), 'utf8')).toBe(text);
    await expectClean(aws, [step, step.post], 'models');
  });

  it('killed at its timeout mid-job: one error naming the timeout, the release intact; then the next run publishes', async () => {
    await aws.reset();
    const before = served(aws, 'bert');
    // What a build leaves while it works: the release's folder and its manifest, each under a temporary name.
    const partial = () => fs.readdirSync(efs('.bert.efsync')).filter((n) => n.startsWith('.tmp-'));
    const partialRelease = () =>
      partial().filter((n) => fs.statSync(efs('.bert.efsync', n)).isDirectory() && !n.includes('.json'));
    const { s3 } = motoClients(aws);
    const configKey = `${aws.info.sourcePrefix}config.json`;
    await s3.send(new PutObjectCommand({ Bucket: aws.info.sourceBucket, Key: configKey, Body: '{"layers": 48}\n' }));
    s3.destroy();
    // A short timeout (an administrator's UpdateFunctionConfiguration), and the one changed object's GET stalled for
    // longer than it: the unchanged files are linked into the new release, then the function waits on S3 past the
    // margin it keeps (deadline.py) and Lambda ends it.
    await aws.control('PUT', `/functions/${writer()}/configuration`, { Timeout: 10 });
    await aws.fault({ service: 's3', operation: 'GetObject', pathContains: configKey, latencyMs: 25_000 });
    try {
      const killed = await runAction(aws, workspace, BERT());
      const observed = record(GROUP, 'killed at its timeout mid-job', 'failed: stopped at its timeout', killed);
      expect(observed, killed.stdout.slice(-3000)).toMatch(
        new RegExp(`^failed \\(exit 1, 1 error\\): The writer function ${writer()} was stopped at its timeout of 10 s`),
      );
      expect(killed.stdout).toContain('its lock is freed by its lease');
      // Killed mid-write: what it had built of the new release is there, never served: the unchanged files linked,
      // the changed one begun under a temporary name.
      const [built] = partialRelease();
      expect(partialRelease()).toHaveLength(1);
      expect(Object.keys(readTree(efs('.bert.efsync', built ?? ''))).sort()).toEqual([
        expect.stringMatching(/^\.efsync-tmp-/),
        'vocab.txt',
        'weights/part-0001.bin',
      ]);
      await expectClean(aws, [killed, killed.post], 'bert', before);
    } finally {
      await aws.control('PUT', `/functions/${writer()}/configuration`, { Timeout: 900 });
      await aws.reset();
    }
    const next = await runAction(aws, workspace, BERT());
    const observed = record(GROUP, 'the next run, timeout restored', 'published', next);
    expect(observed, next.stdout.slice(-3000)).toBe('published');
    expect(next.stdout).toContain('left by an interrupted run');
    expect(partial()).toEqual([]);
    expect(fs.readFileSync(efs('bert', 'config.json'), 'utf8')).toBe('{"layers": 48}\n');
    await expectClean(aws, [next, next.post], 'bert');
  });

  for (const [name, afterMs] of [
    ['once the first delivery has answered', undefined],
    ['while the first delivery is at work', 1500],
  ] as const) {
    it(`a job delivered twice (the connection broken ${name}, the SDK retries): carried out once`, async () => {
      await aws.reset();
      const text = edit();
      const releasesBefore = switches('models').length;
      await aws.control('POST', `/functions/${writer()}/dropped-connection`, afterMs === undefined ? {} : { afterMs });
      // The first delivery takes its time over the job: the changed file's part is slow to come.
      await aws.fault({ service: 's3', operation: 'GetObject', pathContains: '/part-0001.tar', latencyMs: 8000 });
      const from = await since();
      const step = await runAction(aws, workspace, MODELS());
      const observed = record(GROUP, `delivered twice, ${name}`, 'published', step);
      expect(observed, step.stdout.slice(-3000)).toBe('published');
      const log = await calls(from);
      const invokes = log.filter((e) => e.operation === 'Invoke');
      expect(invokes).toHaveLength(2);
      // Both deliveries read the job; the parts were fetched once, by the delivery that claimed it.
      const gets = (part: string) => log.filter((e) => e.operation === 'GetObject' && e.params.Key?.includes(part));
      expect(gets('job.json').length).toBe(2);
      expect(gets('.tar').length).toBeGreaterThan(0);
      expect(new Set(gets('.tar').map((e) => e.params.Key)).size).toBe(gets('.tar').length);
      // Only the delivery that claimed the job wrote its result: the other took no lock and wrote nothing.
      const puts = log.filter((e) => e.operation === 'PutObject' && e.params.Key?.endsWith('/result.json'));
      expect(puts).toHaveLength(1);
      // The run's result is the first delivery's, from staging: the second answered that the job was claimed.
      expect(gets('result.json').length).toBeGreaterThan(0);
      expect(step.stdout).toContain(`The writer function ${writer()} got this job twice`);
      expect(switches('models')).toHaveLength(releasesBefore + 1);
      const release = JSON.parse(step.outputs['release-ids'] ?? '{}').models;
      expect(switches('models').at(-1)).toBe(release);
      expect(fs.readFileSync(efs('models', 'a.txt'), 'utf8')).toBe(text);
      await expectClean(aws, [step, step.post], 'models');
    });
  }

  it('two runs at once on one target through the function: both publish, one after the other', async () => {
    await aws.reset();
    const one = makeWorkspace({ 'models/who.txt': 'one\n', 'models/shared.txt': 'same\n' });
    const two = makeWorkspace({ 'models/who.txt': 'two\n', 'models/shared.txt': 'same\n' });
    const inputs = { ...LAMBDA(), 'local-dir': 'models', 'local-target': 'race' };
    const a = actionSetup(aws, one, inputs);
    const b = actionSetup(aws, two, inputs);
    // Each job's part is slow to come, so that both are in the function at once: the one that takes the lock first
    // holds it while it downloads, and the other waits for it.
    await aws.fault({
      service: 's3',
      operation: 'GetObject',
      pathContains: '/part-0001.tar',
      latencyMs: 5000,
      times: 2,
    });
    const [ra, rb] = await Promise.all([
      startBundle('main', a.inputs, a.env).done,
      startBundle('main', b.inputs, b.env).done,
    ]);
    const released: string[] = [];
    for (const [name, result, env] of [
      ['run A', ra, a.env],
      ['run B', rb, b.env],
    ] as const) {
      const post = await runPost(env, result);
      const observed = record(GROUP, `two at once, ${name}`, 'published', result);
      expect(observed, result.stdout.slice(-3000)).toBe('published');
      expect(parseCommandFile(result.output).engine).toBe('lambda');
      released.push(JSON.parse(parseCommandFile(result.output)['release-ids'] ?? '{}').race);
      await expectClean(aws, [result, post], 'race');
    }
    // Serialized by the lock on EFS: Lambda ran both invocations at once (no reserved concurrency refused either).
    const waited = [ra, rb].filter((r) => /waits for the file system lock held by run /.test(r.stdout));
    expect(waited).toHaveLength(1);
    // Both releases in the history, the later switch served, its files those of the run that made it.
    const history = switches('race');
    expect([...history].sort()).toEqual([...released].sort());
    const last = history.at(-1);
    expect(fs.readlinkSync(efs('race'))).toBe(`.race.efsync/${last}`);
    expect(readTree(efs('race'))).toEqual({
      'who.txt': Buffer.from(last === released[0] ? 'one\n' : 'two\n'),
      'shared.txt': Buffer.from('same\n'),
    });
  });

  it('workflow commands in what a function logs and raises: shown as text, none reaches the runner', async () => {
    await aws.reset();
    const before = served(aws, 'models');
    edit();
    // A function that is not efsync's writer (or whose code was replaced): it writes workflow commands into the log
    // the runner follows (the job's log URL) and into the function's log, then raises with them as its message.
    const hostile = JSON.stringify(HOSTILE.join('\n'));
    const code = [
      'import json, urllib.request',
      `HOSTILE = ${hostile}`,
      'def handler(event, context):',
      '    job = json.loads(urllib.request.urlopen(event["job"]["url"]).read())',
      '    put = urllib.request.Request(job["logUrl"], data=HOSTILE.encode(), method="PUT",',
      '                                 headers={"Content-Type": "text/plain; charset=utf-8"})',
      '    urllib.request.urlopen(put).read()',
      '    print(HOSTILE)',
      '    raise RuntimeError(HOSTILE)',
      '',
    ].join('\n');
    await createFunctionRole(aws);
    await aws.control('POST', '/functions', definition(aws, 'efsync-hostile', code, { Timeout: 60 }));
    await waitActive(aws, 'efsync-hostile');
    // The action's role may use this function too (the stack's grants its own writer only).
    const role = aws.info.roleArn.split('/').pop() ?? '';
    const arn = `arn:aws:lambda:${aws.info.region}:123456789012:function:efsync-hostile`;
    await aws.control('PUT', `/roles/${role}/policies/hostile-function`, {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'], Resource: arn },
      ],
    });
    try {
      const step = await runAction(
        aws,
        workspace,
        // It mounts the bed's access point for Lambdas, so the run publishes through that one (lambda/fit.ts).
        { ...MODELS(), 'writer-function': 'efsync-hostile', 'access-point-id': aws.info.accessPointId },
        { debug: true },
      );
      const reading = readAsRunner(step.stdout);
      const tokens = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data.toLowerCase());
      const foreign = reading.commands.filter(
        (c) =>
          c.command !== 'stop-commands' &&
          !tokens.includes(c.command.toLowerCase()) &&
          !['add-mask', 'group', 'endgroup', 'debug', 'error', 'save-state', 'set-output'].includes(c.command),
      );
      // The one annotation is the action's own error, the function's message in it as text.
      const errors = reading.annotations.filter((c) => c.command === 'error');
      const own = errors.length === 1 && errors[0]?.data.startsWith('The writer function efsync-hostile raised');
      const spoofed = [...reading.annotations.filter((c) => c.command !== 'error'), ...foreign];
      const shown = reading.log.some((line) => line.includes('::warning title=x::spoof'));
      const observed = `exit ${step.status}, ${own ? 'its own error' : `${errors.length} errors`}, text ${
        shown ? 'shown' : 'not shown'
      }, ${spoofed.length} command(s) from it`;
      rows.push({
        group: GROUP,
        name: 'workflow commands in its log and its error',
        expected: 'exit 1, its own error, text shown, 0 command(s) from it',
        observed,
      });
      expect(observed, spoofed.map((c) => c.line).join('\n')).toBe(
        'exit 1, its own error, text shown, 0 command(s) from it',
      );
      expect(step.state).not.toContain('i-0attacker');
      await expectClean(aws, [step, step.post], 'models', before);
    } finally {
      await aws.control('DELETE', `/roles/${role}/policies/hostile-function`);
    }
  });
});
