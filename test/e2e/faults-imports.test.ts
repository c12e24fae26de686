// Imports checked in the runtime before the switch (verify-imports): the committed dist/ bundles publish dependencies
// through the writer function the template deploys, whose runtime is the template's WriterPythonVersion (3.13) and
// which the test bed runs with a Python 3.13, as Lambda does. A new release whose package raises on import is never
// served, and the one error names the module and its exception; skipped by name, it is published.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { buildWheels, leftovers, makeWorkspace, readTree, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
let wheels: string;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'requirements.txt': 'alpha==1.0\ngamma==1.0\n' });
  // gamma 2.0's package raises ImportError("needs libgamma.so") when imported, as one built against a library the
  // runtime lacks.
  wheels = buildWheels(workspace, ['alpha==1.0', 'gamma==1.0', 'broken:gamma==2.0']);
}, 60_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-imports');
  await aws?.stop();
});
afterEach(async () => {
  expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
});

const root = () => path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId);
const inputs = (more: Record<string, string> = {}) => ({
  engine: 'lambda',
  'writer-function': aws.info.stacks.efsync?.writerFunction ?? '',
  requirements: 'requirements.txt',
  // The template's WriterPythonVersion and WriterArchitecture defaults: the function is the dependencies' runtime.
  'python-version': '3.13',
  architecture: 'x86_64',
  compile: 'false',
  'pip-args': `--no-index --find-links ${wheels}`,
  'verify-imports': 'true',
  ...more,
});
const operations = async (since: number) => (await aws.log(since)).map((e) => e.operation);
const errors = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('::error::'));
const gamma = () => readTree(path.join(root(), 'lib'))['gamma/__init__.py']?.toString() ?? '';

describe('imports', { timeout: 300_000 }, () => {
  let good: Served;

  it('a release that imports is checked in the function and published', async () => {
    const step = await runAction(aws, workspace, inputs(), { oidc: true });
    expect(record('imports', 'dependencies that import', 'published', step), step.stdout.slice(-3000)).toBe(
      'published',
    );
    expect(step.outputs.engine).toBe('lambda');
    expect(step.stdout).toContain(
      'The writer function efsync-writer (python3.13, x86_64) imports each top-level module of the new dependency release before the switch.',
    );
    expect(step.stdout).toMatch(/imported 2 module\(s\) of release \S+ in [\d.]+ s: each imports/);
    // With the interpreter that runs the function's handler: the runtime's, as Lambda keeps it in /var/lang.
    expect(step.stdout).toMatch(/with \/var\/lang\/bin\/python3\.13 \(Python 3\.13\.\d+\)/);
    expect(gamma()).toContain('__version__ = "1.0"');
    good = served(aws, 'lib');
    await expectClean(aws, [step], 'lib');
  });

  it('a dependency that fails to import: no switch, and the error names it', async () => {
    fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'alpha==1.0\ngamma==2.0\n');
    const step = await runAction(aws, workspace, inputs(), { oidc: true, debug: true });
    const observed = record('imports', 'a dependency that fails to import', 'failed, naming the module', step);
    expect(observed, step.stdout.slice(-3000)).toMatch(/^failed \(exit 1, 1 error\)/);
    const [error] = errors(step.stdout);
    expect(error).toContain(
      'The agent failed in the writer function efsync-writer: the new dependency release does not import: module gamma raised ImportError: needs libgamma.so. Nothing was switched: the served release is as it was',
    );
    // The served release is the one before, byte for byte, and the new one is gone.
    await expectClean(aws, [step], 'lib', good);
    expect(fs.readdirSync(path.join(root(), '.lib.efsync')).filter((n) => !n.endsWith('.json'))).toEqual([
      good.link.split('/')[1],
    ]);
  });

  it('true on a function of another runtime: one error naming both, before anything is staged or invoked', async () => {
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs({ 'python-version': '3.12' }));
    record('imports', 'verify-imports true, the function another runtime', 'failed, naming both', step);
    expect(errors(step.stdout)).toHaveLength(1);
    expect(errors(step.stdout)[0]).toContain(
      'verify-imports is true, but the writer function efsync-writer cannot import the dependencies: its runtime is python3.13, not python3.12',
    );
    expect(await operations(since)).not.toContain('Invoke');
    await expectClean(aws, [step], 'lib', good);
  });

  it('true with an instance is refused before any AWS call', async () => {
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const step = await runAction(aws, workspace, inputs({ engine: 'instance' }));
    record('imports', 'verify-imports true with engine instance', 'failed before any AWS call', step);
    expect(errors(step.stdout)).toHaveLength(1);
    expect(errors(step.stdout)[0]).toContain(
      "Input 'verify-imports': true needs the writer function: input 'engine' is instance",
    );
    expect(await operations(since)).toEqual([]);
    await expectClean(aws, [step], 'lib', good);
  });

  it('the module skipped by name: published', async () => {
    const step = await runAction(aws, workspace, inputs({ 'verify-imports-skip': 'gamma' }));
    expect(record('imports', 'the failing module in verify-imports-skip', 'published', step), step.stdout).toBe(
      'published',
    );
    expect(step.stdout).toContain(
      'imports each top-level module of the new dependency release before the switch, all but gamma.',
    );
    expect(step.stdout).toMatch(/imported 1 module\(s\) of release/);
    expect(gamma()).toContain('raise ImportError("needs libgamma.so")');
    await expectClean(aws, [step], 'lib');
  });
});
