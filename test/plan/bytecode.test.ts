// Finding an interpreter of the target version for the .pyc files, with a fake machine (bytecode.bed.test.ts compiles).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BytecodeError,
  candidates,
  compileallArgs,
  describeCompiler,
  type Finder,
  findInterpreter,
  newestFirst,
  PROBE_CODE,
  probed,
  resolveCompiler,
} from '../../src/plan/bytecode.js';

/** A machine whose interpreters are `pythons` (command -> X.Y.Z), with optional uv behaviour. */
function fakeFinder(
  pythons: Record<string, string>,
  options: { env?: Record<string, string>; dirs?: Record<string, string[]>; uv?: Record<string, string> } = {},
): Finder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    env: options.env ?? {},
    list: (dir) => options.dirs?.[dir] ?? [],
    run: async (command, args) => {
      calls.push([command, ...args]);
      if (command === 'uv') {
        const uv = options.uv;
        if (uv === undefined) return undefined;
        const answer = uv[args.join(' ')];
        if (answer === 'installs') {
          pythons['/uv/python3.14'] = '3.14.0';
          uv['python find 3.14'] = '/uv/python3.14\n';
          return '';
        }
        return answer;
      }
      const version = pythons[command];
      if (version === undefined || args[1] !== PROBE_CODE) return undefined;
      return `${version}\n/real/${path.basename(command)}-${version}\n`;
    },
  };
}

describe('candidates', () => {
  it('looks on PATH, then at setup-python, then in the tool cache, newest first, for the version only', () => {
    const env = { pythonLocation: '/opt/hostedtoolcache/Python/3.12.8/x64', RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' };
    const dirs = { '/opt/hostedtoolcache/Python': ['3.11.9', '3.12.8', '3.12.10', '3.1.0', '3.12.8.complete'] };
    expect(candidates('3.12', { env, list: (dir) => dirs[dir as keyof typeof dirs] ?? [] })).toEqual([
      { command: 'python3.12', source: 'python3.12 on PATH' },
      { command: 'python3', source: 'python3 on PATH' },
      { command: '/opt/hostedtoolcache/Python/3.12.8/x64/bin/python3', source: 'actions/setup-python' },
      ...['3.12.10', '3.12.8', '3.12.8.complete'].flatMap((v) =>
        ['x64', 'arm64'].map((arch) => ({
          command: `/opt/hostedtoolcache/Python/${v}/${arch}/bin/python3`,
          source: `the runner's tool cache (Python ${v} ${arch})`,
        })),
      ),
    ]);
  });

  it('needs no environment', () => {
    expect(candidates('3.13', { env: {}, list: () => [] }).map((c) => c.command)).toEqual(['python3.13', 'python3']);
  });
});

describe('newestFirst and probed', () => {
  it('orders versions by number, not by text', () => {
    expect(newestFirst(['3.11.2', '3.11.10', '3.11.9'])).toEqual(['3.11.10', '3.11.9', '3.11.2']);
  });

  it('takes an interpreter of the version only', () => {
    expect(probed('3.11.7\n/usr/bin/python3.11\n', '3.11', 'x')).toEqual({
      executable: '/usr/bin/python3.11',
      version: '3.11.7',
      source: 'x',
    });
    expect(probed('3.1.7\n/usr/bin/python3.1\n', '3.11', 'x')).toBeUndefined();
    expect(probed('3.12.0\n/usr/bin/python3\n', '3.11', 'x')).toBeUndefined();
    expect(probed(undefined, '3.11', 'x')).toBeUndefined();
    expect(probed('3.11.7\n', '3.11', 'x')).toBeUndefined();
  });
});

describe('findInterpreter', () => {
  it("takes the runner's python3 when it is the version", async () => {
    const found = await findInterpreter('3.12', fakeFinder({ python3: '3.12.3' }));
    expect(found).toEqual({ executable: '/real/python3-3.12.3', version: '3.12.3', source: 'python3 on PATH' });
  });

  it("skips a python3 of another version for setup-python's", async () => {
    const env = { pythonLocation: '/t/Python/3.13.1/x64' };
    const finder = fakeFinder({ python3: '3.12.3', '/t/Python/3.13.1/x64/bin/python3': '3.13.1' }, { env });
    expect(await findInterpreter('3.13', finder)).toMatchObject({ version: '3.13.1', source: 'actions/setup-python' });
  });

  it('asks uv last, and checks what it names', async () => {
    const uv = { 'python find 3.13': '/uv/cpython-3.13/bin/python3.13\n' };
    const finder = fakeFinder({ python3: '3.12.3', '/uv/cpython-3.13/bin/python3.13': '3.13.2' }, { uv });
    expect(await findInterpreter('3.13', finder)).toMatchObject({ version: '3.13.2', source: "uv's managed Python" });
    expect(await findInterpreter('3.14', finder)).toBeUndefined();
  });
});

describe('resolveCompiler', () => {
  it('false looks for nothing', async () => {
    const finder = fakeFinder({ python3: '3.12.3' });
    expect(await resolveCompiler(false, '3.12', finder)).toBeUndefined();
    expect(finder.calls).toEqual([]);
  });

  it('auto compiles when an interpreter is there, and quietly does not when none is', async () => {
    expect(await resolveCompiler('auto', '3.12', fakeFinder({ python3: '3.12.3' }))).toBeDefined();
    const finder = fakeFinder({ python3: '3.12.3' }, { uv: { '--version': 'uv 0.9.0' } });
    expect(await resolveCompiler('auto', '3.14', finder)).toBeUndefined();
    expect(finder.calls.some((call) => call.join(' ') === 'uv python install 3.14')).toBe(false);
  });

  it('true installs one with uv when none is there', async () => {
    const lines: string[] = [];
    const finder = fakeFinder(
      { python3: '3.12.3' },
      { uv: { '--version': 'uv 0.9.0', 'python install 3.14': 'installs' } },
    );
    const found = await resolveCompiler(true, '3.14', finder, (line) => lines.push(line));
    expect(found).toMatchObject({ version: '3.14.0', source: "uv's managed Python" });
    expect(lines).toEqual([
      'No Python 3.14 on this runner for the .pyc files: installing one with uv python install 3.14.',
    ]);
  });

  it('true without an interpreter or uv fails with the input and the fix', async () => {
    const error = await resolveCompiler(true, '3.14', fakeFinder({ python3: '3.12.3' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BytecodeError);
    expect((error as Error).message).toBe(
      'compile is true, but no Python 3.14 runs on this runner to write the .pyc files. Looked for python3.14 and ' +
        "python3 on PATH, actions/setup-python's and the tool cache's, and uv's; uv is not on PATH to install one. " +
        "Add actions/setup-python with python-version '3.14' before this step, or set compile to false (or auto: " +
        'compile when one is there).',
    );
    const uvFails = fakeFinder({}, { uv: { '--version': 'uv 0.9.0' } });
    expect(await resolveCompiler(true, '3.14', uvFails).catch((e: Error) => e.message)).toContain(
      '; `uv python install 3.14` failed. ',
    );
  });
});

describe('describeCompiler and compileallArgs', () => {
  it('says what will be compiled, or why not', () => {
    const interpreter = { executable: '/usr/bin/python3.12', version: '3.12.3', source: 'python3 on PATH' };
    expect(describeCompiler('auto', '3.12', interpreter)).toBe(
      '.pyc files (unchecked-hash) will be written by Python 3.12.3 (python3 on PATH: /usr/bin/python3.12).',
    );
    expect(describeCompiler(false, '3.12', undefined)).toBe('No .pyc files: compile is false.');
    expect(describeCompiler('auto', '3.12', undefined)).toMatch(/^No \.pyc files: no Python 3\.12 runs on this runner/);
  });

  it('is one argv, unchecked-hash, with the directory as one word', () => {
    expect(compileallArgs('/tmp/build $(x)')).toEqual([
      '-m',
      'compileall',
      '-q',
      '--invalidation-mode',
      'unchecked-hash',
      '-j',
      '0',
      '-s',
      '/tmp/build $(x)',
      '/tmp/build $(x)',
    ]);
  });
});
