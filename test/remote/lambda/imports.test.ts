import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { decideImports, ImportsMismatch, importsToVerify } from '../../../src/remote/lambda/imports.js';
import {
  describeFunction,
  readFunction,
  readyFunction,
  type WriterFunction,
} from '../../../src/remote/lambda/ready.js';

const DEPS = { pythonVersion: '3.13', architecture: 'x86_64' as const, verifyImportsSkip: [] };
const WRITER = { name: 'efsync-writer', runtime: 'python3.13', architecture: 'x86_64' };

describe('decideImports', () => {
  it('auto imports when the runtime and the architecture are the dependencies’, with the modules to skip', () => {
    expect(decideImports({ ...DEPS, verifyImports: 'auto' }, WRITER)).toEqual({
      verify: { skip: [] },
      why: 'The writer function efsync-writer (python3.13, x86_64) imports each top-level module of the new dependency release before the switch.',
    });
    const skipped = decideImports(
      { ...DEPS, verifyImports: 'auto', verifyImportsSkip: ['yaml', 'google.api'] },
      WRITER,
    );
    expect(skipped.verify).toEqual({ skip: ['yaml', 'google.api'] });
    expect(skipped.why).toContain('before the switch, all but yaml, google.api.');
    // A Config built by hand that leaves it out is auto.
    expect(decideImports(DEPS, WRITER).verify).toEqual({ skip: [] });
  });

  it.each([
    [{ ...WRITER, runtime: 'python3.12' }, 'its runtime is python3.12, not python3.13'],
    [{ ...WRITER, architecture: 'arm64' }, 'its architecture is arm64, not x86_64'],
    [
      { ...WRITER, runtime: 'python3.11', architecture: 'arm64' },
      'its runtime is python3.11, not python3.13 and its architecture is arm64, not x86_64',
    ],
  ])('auto does not import on another interpreter, and says why: %j', (writer, differences) => {
    const decision = decideImports({ ...DEPS, verifyImports: 'auto' }, writer);
    expect(decision.verify).toBeUndefined();
    expect(decision.why).toBe(
      `The writer function efsync-writer does not import the new dependency release before the switch: ${differences} (verify-imports auto; a stack with WriterPythonVersion 3.13 and WriterArchitecture x86_64 would).`,
    );
  });

  it('true fails on another interpreter, naming both', () => {
    const run = () => decideImports({ ...DEPS, verifyImports: true }, { ...WRITER, runtime: 'python3.12' });
    expect(run).toThrow(ImportsMismatch);
    expect(run).toThrow(
      'verify-imports is true, but the writer function efsync-writer cannot import the dependencies: its runtime is python3.12, not python3.13 (python-version and architecture). Update the stack with WriterPythonVersion 3.13 and WriterArchitecture x86_64, or write verify-imports: auto or false.',
    );
    expect(decideImports({ ...DEPS, verifyImports: true }, WRITER).verify).toEqual({ skip: [] });
  });

  it('false never imports, whatever the function', () => {
    expect(decideImports({ ...DEPS, verifyImports: false }, WRITER).verify).toBeUndefined();
    expect(decideImports({ ...DEPS, verifyImports: false }, { ...WRITER, runtime: 'python3.10' }).verify).toBe(
      undefined,
    );
  });
});

describe('importsToVerify', () => {
  const pip = [{ kind: 'pip' as const }, { kind: 'local' as const }];
  const writer = Promise.resolve(WRITER as WriterFunction);

  it('asks for the function only for a sync with dependencies to check, and logs the decision', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const deps = { ...DEPS, verifyImports: 'auto' as const, verifyImportsSkip: ['yaml'] };
    expect(await importsToVerify({ deps }, pip, 'sync', writer, log)).toEqual({ skip: ['yaml'] });
    expect(lines).toHaveLength(1);
    const never = new Promise<WriterFunction>(() => undefined);
    expect(await importsToVerify({ deps }, pip, 'rollback', never, log)).toBeUndefined();
    expect(await importsToVerify({ deps }, [{ kind: 'local' }], 'sync', never, log)).toBeUndefined();
    expect(await importsToVerify({}, pip, 'sync', never, log)).toBeUndefined();
    const off = { deps: { ...deps, verifyImports: false as const } };
    expect(await importsToVerify(off, pip, 'sync', never, log)).toBeUndefined();
    expect(lines).toHaveLength(1);
  });

  it('fails with the function’s own error when it cannot be read', async () => {
    const deps = { ...DEPS, verifyImports: 'auto' as const };
    await expect(importsToVerify({ deps }, pip, 'sync', Promise.reject(new Error('gone')), () => 0)).rejects.toThrow(
      'gone',
    );
  });
});

describe('the first read of the function', () => {
  const config = (State: string) => ({
    FunctionName: 'efsync-writer',
    State,
    Runtime: 'python3.13',
    Architectures: ['arm64'],
  });

  it('describes the function before it is ready, and getting it ready goes on from there', async () => {
    let calls = 0;
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // A function that is Pending until told otherwise: the first read settles, readiness waits.
    const lambda = {
      send: async () => {
        calls += 1;
        if (calls > 1) await woken;
        return config(calls > 1 ? 'Active' : 'Pending');
      },
    } as unknown as LambdaClient;
    const first = await readFunction(lambda, 'efsync-writer');
    expect(describeFunction(first)).toMatchObject({ runtime: 'python3.13', architecture: 'arm64' });
    const ready = readyFunction(lambda, 'efsync-writer', first, () => undefined);
    let readyYet = false;
    void ready.then(() => {
      readyYet = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readyYet).toBe(false);
    wake();
    expect(await ready).toMatchObject({ name: 'efsync-writer' });
  });
});
