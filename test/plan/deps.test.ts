import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/config/types.js';
import { PYTHON_RUNTIMES } from '../../src/core/runtimes.js';
import {
  DependencyError,
  type DepsKeyInput,
  depsReleaseKey,
  explainInstallFailure,
  includedFile,
  installCommand,
  missingRequirement,
  platformTags,
  uvPythonPlatform,
} from '../../src/plan/deps.js';
import { readRequirements } from '../../src/plan/deps-install.js';

const AL2_X86 = [
  'manylinux_2_26_x86_64',
  'manylinux_2_25_x86_64',
  'manylinux_2_24_x86_64',
  'manylinux_2_23_x86_64',
  'manylinux_2_22_x86_64',
  'manylinux_2_21_x86_64',
  'manylinux_2_20_x86_64',
  'manylinux_2_19_x86_64',
  'manylinux_2_18_x86_64',
  'manylinux_2_17_x86_64',
  'manylinux2014_x86_64',
  'manylinux2010_x86_64',
  'manylinux1_x86_64',
];
const AL2_ARM = [
  'manylinux_2_26_aarch64',
  'manylinux_2_25_aarch64',
  'manylinux_2_24_aarch64',
  'manylinux_2_23_aarch64',
  'manylinux_2_22_aarch64',
  'manylinux_2_21_aarch64',
  'manylinux_2_20_aarch64',
  'manylinux_2_19_aarch64',
  'manylinux_2_18_aarch64',
  'manylinux_2_17_aarch64',
  'manylinux2014_aarch64',
];
const AL2023_EXTRA = ['34', '33', '32', '31', '30', '29', '28', '27'];
const AL2023_X86 = [...AL2023_EXTRA.map((minor) => `manylinux_2_${minor}_x86_64`), ...AL2_X86];
const AL2023_ARM = [...AL2023_EXTRA.map((minor) => `manylinux_2_${minor}_aarch64`), ...AL2_ARM];

const EXPECTED_TAGS: Record<string, Record<Architecture, string[]>> = {
  '3.10': { x86_64: AL2_X86, arm64: AL2_ARM },
  '3.11': { x86_64: AL2_X86, arm64: AL2_ARM },
  '3.12': { x86_64: AL2023_X86, arm64: AL2023_ARM },
  '3.13': { x86_64: AL2023_X86, arm64: AL2023_ARM },
  '3.14': { x86_64: AL2023_X86, arm64: AL2023_ARM },
};

describe('platformTags', () => {
  it('covers every runtime of the table', () => {
    expect(Object.keys(EXPECTED_TAGS)).toEqual(PYTHON_RUNTIMES.map((runtime) => runtime.version));
  });

  for (const [version, byArch] of Object.entries(EXPECTED_TAGS)) {
    for (const [arch, tags] of Object.entries(byArch)) {
      it(`python${version} on ${arch}: ${tags.length} tags, most specific first`, () => {
        expect(platformTags(version, arch as Architecture)).toEqual(tags);
      });
    }
  }

  it('counts: 13/11 on Amazon Linux 2, 21/19 on Amazon Linux 2023', () => {
    expect([AL2_X86.length, AL2_ARM.length, AL2023_X86.length, AL2023_ARM.length]).toEqual([13, 11, 21, 19]);
  });

  it('refuses a version that is no Lambda runtime', () => {
    expect(() => platformTags('3.9', 'x86_64')).toThrow(/python3\.9 is not a Lambda runtime; use one of 3\.10, 3\.11/);
  });
});

describe('uvPythonPlatform', () => {
  it('is the highest manylinux level uv knows that the runtime can load', () => {
    expect(uvPythonPlatform('3.11', 'x86_64')).toBe('x86_64-manylinux_2_17');
    expect(uvPythonPlatform('3.10', 'arm64')).toBe('aarch64-manylinux_2_17');
    expect(uvPythonPlatform('3.12', 'x86_64')).toBe('x86_64-manylinux_2_34');
    expect(uvPythonPlatform('3.14', 'arm64')).toBe('aarch64-manylinux_2_34');
  });
});

describe('depsReleaseKey', () => {
  const input: DepsKeyInput = {
    requirementsText: 'requests==2.32.3\n',
    pythonVersion: '3.12',
    architecture: 'x86_64',
    installer: 'pip',
    pipArgs: ['--index-url', 'https://example.test/simple'],
  };

  it('is a stable sha256 hex', () => {
    expect(depsReleaseKey(input)).toMatch(/^[0-9a-f]{64}$/);
    expect(depsReleaseKey({ ...input, pipArgs: [...input.pipArgs] })).toBe(depsReleaseKey(input));
  });

  it.each<[string, Partial<DepsKeyInput>]>([
    ['requirements', { requirementsText: 'requests==2.32.4\n' }],
    ['python version', { pythonVersion: '3.13' }],
    ['runtime OS (same minor digit elsewhere)', { pythonVersion: '3.11' }],
    ['architecture', { architecture: 'arm64' }],
    ['installer', { installer: 'uv' }],
    ['pip args', { pipArgs: ['--index-url', 'https://other.test/simple'] }],
    ['pip args split differently', { pipArgs: ['--index-url https://example.test/simple'] }],
    ['compile setting', { compiled: true }],
  ])('changes with the %s', (_, change) => {
    expect(depsReleaseKey({ ...input, ...change })).not.toBe(depsReleaseKey(input));
  });

  it('is what it was without .pyc, so compile: false (or auto without an interpreter) republishes nothing', () => {
    expect(depsReleaseKey({ ...input, compiled: false })).toBe(depsReleaseKey(input));
    expect(depsReleaseKey({ ...input, compiled: true })).toBe(depsReleaseKey({ ...input, compiled: true }));
  });
});

describe('installCommand', () => {
  const base = {
    python: '/usr/bin/python3',
    requirements: '/ws/requirements file.txt',
    target: '/tmp/build $(x)',
    pythonVersion: '3.11',
    architecture: 'arm64' as const,
    pipArgs: ['--no-index', '--find-links', '/ws/wheels'],
  };

  it('pip: target, cp, version, binaries only, every platform tag, no compile, pip args last', () => {
    expect(installCommand({ ...base, installer: 'pip' })).toEqual({
      command: '/usr/bin/python3',
      args: [
        '-m',
        'pip',
        'install',
        '--target',
        '/tmp/build $(x)',
        '--implementation',
        'cp',
        '--python-version',
        '3.11',
        '--only-binary=:all:',
        ...AL2_ARM.flatMap((tag) => ['--platform', tag]),
        '--requirement',
        '/ws/requirements file.txt',
        '--no-input',
        '--disable-pip-version-check',
        '--no-compile',
        '--no-index',
        '--find-links',
        '/ws/wheels',
      ],
    });
  });

  it('uv: one python platform, version, binaries only, no bytecode, pip args last', () => {
    expect(installCommand({ ...base, installer: 'uv', pythonVersion: '3.13' })).toEqual({
      command: 'uv',
      args: [
        'pip',
        'install',
        '--target',
        '/tmp/build $(x)',
        '--python',
        '/usr/bin/python3',
        '--python-platform',
        'aarch64-manylinux_2_34',
        '--python-version',
        '3.13',
        '--only-binary',
        ':all:',
        '--requirement',
        '/ws/requirements file.txt',
        '--no-compile-bytecode',
        '--no-index',
        '--find-links',
        '/ws/wheels',
      ],
    });
    const { python: _, ...withoutPython } = base;
    const args = installCommand({ ...withoutPython, installer: 'uv' }).args;
    expect(args).toContain('--no-compile-bytecode');
    expect(args).not.toContain('--python');
  });
});

describe('missingRequirement and explainInstallFailure', () => {
  const pipOutput = [
    'Looking in links: /wheels',
    'ERROR: Could not find a version that satisfies the requirement psycopg2==2.9.9 (from versions: none)',
    'ERROR: No matching distribution found for psycopg2==2.9.9',
  ];

  it.each([
    [pipOutput.join('\n'), 'psycopg2==2.9.9'],
    ['ERROR: Could not find a version that satisfies the requirement nosuch (from versions: none)', 'nosuch'],
    ['  ╰─▶ Because nosuch was not found in the package registry and you require nosuch, we can conclude', 'nosuch'],
    [
      '  ╰─▶ Because only mysqlclient==2.2.4 is available and mysqlclient==2.2.4 has no usable wheels, we',
      'mysqlclient==2.2.4',
    ],
    ['Successfully installed alpha-1.0', undefined],
  ])('finds the requirement in %j', (output, expected) => {
    expect(missingRequirement(output)).toBe(expected);
  });

  it('names the package, the runtime and the architecture, and says what to do', () => {
    expect(explainInstallFailure({ pythonVersion: '3.12', architecture: 'arm64' }, 'pip', 1, pipOutput)).toBe(
      'psycopg2==2.9.9 has no wheel for python3.12 on manylinux aarch64 (it may publish only a source distribution, ' +
        'or not exist): pin a version that has wheels, or build it on Amazon Linux and publish it with local-dir.',
    );
  });

  it('otherwise gives the last lines of the output', () => {
    const output = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const message = explainInstallFailure({ pythonVersion: '3.12', architecture: 'x86_64' }, 'uv', 2, output);
    expect(message.split('\n')).toEqual(['uv install failed (exit code 2). Its last lines:', ...output.slice(-15)]);
  });
});

describe('readRequirements', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-req-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };

  it('recognises the include forms pip reads', () => {
    expect(includedFile('-r base.txt')).toBe('base.txt');
    expect(includedFile('-rbase.txt')).toBe('base.txt');
    expect(includedFile('--requirement=base.txt  # shared')).toBe('base.txt');
    expect(includedFile('  -c constraints/pins.txt')).toBe('constraints/pins.txt');
    expect(includedFile('--constraint pins.txt')).toBe('pins.txt');
    expect(includedFile('requests==2.0  # -r not-an-include')).toBeUndefined();
    expect(includedFile('# -r commented.txt')).toBeUndefined();
    expect(includedFile('--requirements-typo x')).toBeUndefined();
  });

  it('inlines -r and -c recursively, relative to the including file', async () => {
    write('app/requirements.txt', 'flask==3.0\n-r ../shared/base.txt\n-c pins.txt\n');
    write('shared/base.txt', 'requests\n--requirement=deeper/more.txt\n');
    write('shared/deeper/more.txt', 'numpy\n');
    write('app/pins.txt', 'urllib3<3\n');
    const text = await readRequirements(path.join(dir, 'app/requirements.txt'));
    expect(text.split('\n').filter(Boolean)).toEqual([
      'flask==3.0',
      '-r ../shared/base.txt',
      'requests',
      '--requirement=deeper/more.txt',
      'numpy',
      '-c pins.txt',
      'urllib3<3',
    ]);
    const before = text;
    write('shared/deeper/more.txt', 'numpy==2.0\n');
    expect(await readRequirements(path.join(dir, 'app/requirements.txt'))).not.toBe(before);
  });

  it('says which include is missing and who includes it', async () => {
    write('broken/requirements.txt', 'flask\n-r missing.txt\n');
    const error = await readRequirements(path.join(dir, 'broken/requirements.txt')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe(
      `Requirements file ${path.join(dir, 'broken/missing.txt')}, included from ` +
        `${path.join(dir, 'broken/requirements.txt')}, cannot be read: it does not exist.`,
    );
  });

  it('refuses an include cycle', async () => {
    write('cycle/a.txt', '-r b.txt\n');
    write('cycle/b.txt', '-r a.txt\n');
    await expect(readRequirements(path.join(dir, 'cycle/a.txt'))).rejects.toThrow(
      /includes itself: .*a\.txt -> .*b\.txt -> .*a\.txt/,
    );
  });

  it('leaves a URL include to pip', async () => {
    write('url/requirements.txt', '-r https://example.test/reqs.txt\n');
    expect(await readRequirements(path.join(dir, 'url/requirements.txt'))).toBe('-r https://example.test/reqs.txt\n');
  });
});
