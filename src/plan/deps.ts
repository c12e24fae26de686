/**
 * Dependencies are resolved on the runner for the Lambda platform, not for the runner: pip/uv get the runtime's
 * Python version and every manylinux tag its glibc can load, and binary wheels only, since nothing can be compiled
 * for Amazon Linux here. The pure parts (tags, key, argv, error text) are apart from the few that run processes.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Architecture, DepsSource, Installer } from '../config/types.js';
import { findRuntime, PYTHON_RUNTIMES } from '../runtimes.js';
import type { Tree } from '../sync/model.js';
import { walkLocal } from './local.js';

export type InstallerName = 'pip' | 'uv';

export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Lambda's arm64 is aarch64 in wheel tags. */
export function wheelArch(architecture: Architecture): 'x86_64' | 'aarch64' {
  return architecture === 'arm64' ? 'aarch64' : 'x86_64';
}

function runtimeGlibc(pythonVersion: string): [number, number] {
  const runtime = findRuntime(pythonVersion);
  if (runtime === undefined) {
    const known = PYTHON_RUNTIMES.map((r) => r.version).join(', ');
    throw new DependencyError(`python${pythonVersion} is not a Lambda runtime; use one of ${known}.`);
  }
  return runtime.glibc;
}

/**
 * Every tag pip's explicit --platform must list (it expands none of the manylinux_2_x range itself), most specific
 * first, which is the order pip prefers when a release has several wheels. manylinux1 and manylinux2010 were never
 * defined for aarch64.
 */
export function platformTags(pythonVersion: string, architecture: Architecture): string[] {
  const [, maxMinor] = runtimeGlibc(pythonVersion);
  const arch = wheelArch(architecture);
  const tags: string[] = [];
  for (let minor = maxMinor; minor >= 17; minor--) tags.push(`manylinux_2_${minor}_${arch}`);
  tags.push(`manylinux2014_${arch}`);
  if (arch === 'x86_64') tags.push(`manylinux2010_${arch}`, `manylinux1_${arch}`);
  return tags;
}

/** The glibc levels uv's --python-platform accepts (uv-configuration TargetTriple); there is no 2_18 … 2_27. */
const UV_MANYLINUX_MINORS = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

/** The highest uv platform the runtime can load: for Amazon Linux 2 (glibc 2.26) that is 2_17. */
export function uvPythonPlatform(pythonVersion: string, architecture: Architecture): string {
  const [, maxMinor] = runtimeGlibc(pythonVersion);
  const minor = Math.max(...UV_MANYLINUX_MINORS.filter((m) => m <= maxMinor));
  return `${wheelArch(architecture)}-manylinux_2_${minor}`;
}

export interface DepsKeyInput {
  requirementsText: string;
  pythonVersion: string;
  architecture: Architecture;
  /** The installer that runs, not the choice: 'auto' may pick either. */
  installer: InstallerName;
  pipArgs: string[];
}

/** Hex sha256 of everything that decides the installed tree; the tags are in it so a new tag table re-publishes. */
export function depsReleaseKey(input: DepsKeyInput): string {
  const material = JSON.stringify([
    'efsync-deps-1',
    input.requirementsText,
    input.pythonVersion,
    input.architecture,
    platformTags(input.pythonVersion, input.architecture),
    input.installer,
    input.pipArgs,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

/** The file a `-r`/`-c` line includes (pip's forms: `-r f`, `-rf`, `--requirement f`, `--requirement=f`). */
export function includedFile(line: string): string | undefined {
  const stripped = line.replace(/(^|\s)#.*$/, '').trim();
  const match = /^--(?:requirement|constraint)(?:=|\s+)(.+)$/.exec(stripped) ?? /^-[rc]\s*(.+)$/.exec(stripped);
  return match?.[1]?.trim() || undefined;
}

/**
 * The requirements text with every -r/-c include inlined after the line that names it (relative to the including
 * file, as pip reads it), so an edit in an included file changes the key. For the key only: pip reads the files.
 */
export async function readRequirements(file: string, includedFrom: string[] = []): Promise<string> {
  const absolute = path.resolve(file);
  if (includedFrom.includes(absolute)) {
    throw new DependencyError(
      `Requirements file ${file} includes itself: ${[...includedFrom, absolute].join(' -> ')}.`,
    );
  }
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (error) {
    const parent = includedFrom[includedFrom.length - 1];
    const what = parent ? `${file}, included from ${parent},` : file;
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    throw new DependencyError(`Requirements file ${what} cannot be read: ${why}.`);
  }
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    out.push(line);
    const include = includedFile(line);
    // A URL include is fetched by pip itself and cannot be inlined here.
    if (include === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(include)) continue;
    out.push(await readRequirements(path.resolve(path.dirname(absolute), include), [...includedFrom, absolute]));
  }
  return out.join('\n');
}

export interface InstallCommandInput {
  installer: InstallerName;
  /** The interpreter that runs pip; for uv the one it compiles with (uv finds one itself when absent). */
  python?: string;
  requirements: string;
  target: string;
  pythonVersion: string;
  architecture: Architecture;
  pipArgs: string[];
  /** Compile .pyc: only right when the interpreter is the target's version, or Lambda recompiles them anyway. */
  compile: boolean;
}

/** argv for the installer; never a shell string, so no path or argument is ever interpreted by a shell. */
export function installCommand(input: InstallCommandInput): { command: string; args: string[] } {
  if (input.installer === 'uv') {
    const args = ['pip', 'install', '--target', input.target];
    if (input.python) args.push('--python', input.python);
    args.push(
      '--python-platform',
      uvPythonPlatform(input.pythonVersion, input.architecture),
      '--python-version',
      input.pythonVersion,
      '--only-binary',
      ':all:',
      '--requirement',
      input.requirements,
      input.compile ? '--compile-bytecode' : '--no-compile-bytecode',
      ...input.pipArgs,
    );
    return { command: 'uv', args };
  }
  if (!input.python) throw new DependencyError('pip needs a Python interpreter to run with.');
  const args = ['-m', 'pip', 'install', '--target', input.target, '--implementation', 'cp'];
  args.push('--python-version', input.pythonVersion, '--only-binary=:all:');
  for (const tag of platformTags(input.pythonVersion, input.architecture)) args.push('--platform', tag);
  args.push('--requirement', input.requirements, '--no-input', '--disable-pip-version-check');
  if (!input.compile) args.push('--no-compile');
  args.push(...input.pipArgs);
  return { command: input.python, args };
}

/** pip's and uv's ways of saying a requirement has no usable distribution; group 1 is the requirement. */
const NO_DISTRIBUTION = [
  /No matching distribution found for (\S+)/,
  /Could not find a version that satisfies the requirement (\S+)/,
  /Because (\S+) was not found in the package (?:registry|index)/,
  /Because (?:only |all versions of |there (?:is|are) no versions of )?(\S+) (?:is available and \S+ )?(?:has|have) no (?:usable |matching )?(?:wheels|source distribution)/,
];

/** The requirement the installer could not find a wheel for, if its output says so. */
export function missingRequirement(output: string): string | undefined {
  for (const pattern of NO_DISTRIBUTION) {
    const match = pattern.exec(output)?.[1];
    if (match) return match;
  }
  return undefined;
}

/** One message for a failed install: a named missing wheel, else the tail of the installer's output. */
export function explainInstallFailure(
  deps: Pick<DepsSource, 'pythonVersion' | 'architecture'>,
  installer: InstallerName,
  exitCode: number | null,
  output: readonly string[],
): string {
  const missing = missingRequirement(output.join('\n'));
  if (missing !== undefined) {
    return (
      `${missing} has no wheel for python${deps.pythonVersion} on manylinux ${wheelArch(deps.architecture)} (it may ` +
      'publish only a source distribution, or not exist): pin a version that has wheels, or build it on Amazon ' +
      'Linux and publish it with local-dir.'
    );
  }
  const tail = output.filter((line) => line.trim() !== '').slice(-15);
  return `${installer} install failed (exit code ${exitCode}). Its last lines:\n${tail.join('\n')}`;
}

export interface ResolvedInstaller {
  installer: InstallerName;
  /** e.g. "pip 24.0" or "uv 0.9.0", for the log. */
  version: string;
  /** The runner's python3, when it runs: pip runs with it, uv compiles with it. */
  python?: string;
  /** Its X.Y: .pyc files are compiled only when it is the target's version. */
  runnerPythonVersion?: string;
}

const execFileAsync = promisify(execFile);

async function probe(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { timeout: 60_000 });
    return (stdout.trim() || stderr.trim()).split('\n')[0];
  } catch {
    return undefined;
  }
}

/** 'auto' takes uv when `uv --version` runs, else pip; an explicit choice that cannot run is an error. */
export async function resolveInstaller(choice: Installer): Promise<ResolvedInstaller> {
  const python = 'python3';
  const runnerPythonVersion = await probe(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  const withPython = runnerPythonVersion ? { python, runnerPythonVersion } : {};
  if (choice !== 'pip') {
    const uv = await probe('uv', ['--version']);
    if (uv !== undefined) return { installer: 'uv', version: uv, ...withPython };
    if (choice === 'uv') {
      throw new DependencyError(
        'installer is uv, but `uv --version` does not run on this runner: add astral-sh/setup-uv before this step, ' +
          'or set installer to pip.',
      );
    }
  }
  const pip = await probe(python, ['-m', 'pip', '--version']);
  if (pip === undefined) {
    throw new DependencyError(
      '`python3 -m pip --version` does not run on this runner: add actions/setup-python before this step.',
    );
  }
  return { installer: 'pip', version: pip.split(' from ')[0] ?? pip, ...withPython };
}

/** Lines kept for the error message; the whole output goes to the log as it arrives. */
const TAIL_LINES = 200;

/**
 * Installs into buildDir (emptied first: it is a scratch directory) and returns its tree. Runs in the workspace, so
 * relative paths in pip-args and in the requirements resolve as they do for pip run there by hand.
 */
export async function installDependencies(
  deps: DepsSource,
  workspace: string,
  buildDir: string,
  log: (line: string) => void,
  resolved?: ResolvedInstaller,
): Promise<Tree> {
  const requirements = path.resolve(workspace, deps.requirements);
  await fs.access(requirements).catch(() => {
    throw new DependencyError(`The requirements file ${deps.requirements} does not exist in the workspace.`);
  });
  const installer = resolved ?? (await resolveInstaller(deps.installer));
  const compile = installer.runnerPythonVersion === deps.pythonVersion;
  log(
    `Installing ${deps.requirements} for python${deps.pythonVersion} on ${deps.architecture} with ${installer.version}` +
      (compile ? '' : ` (no .pyc: the runner's Python is ${installer.runnerPythonVersion ?? 'unknown'})`),
  );
  await fs.rm(buildDir, { recursive: true, force: true });
  await fs.mkdir(buildDir, { recursive: true });
  const { command, args } = installCommand({
    installer: installer.installer,
    ...(installer.python !== undefined && { python: installer.python }),
    requirements,
    target: buildDir,
    pythonVersion: deps.pythonVersion,
    architecture: deps.architecture,
    pipArgs: deps.pipArgs,
    compile,
  });
  const { exitCode, tail } = await runStreaming(command, args, workspace, log);
  if (exitCode !== 0) throw new DependencyError(explainInstallFailure(deps, installer.installer, exitCode, tail));
  return walkLocal(buildDir);
}

async function runStreaming(
  command: string,
  args: string[],
  cwd: string,
  log: (line: string) => void,
): Promise<{ exitCode: number | null; tail: string[] }> {
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const tail: string[] = [];
  const onLine = (line: string) => {
    log(line);
    // A "no matching distribution" line is kept even when a long output would push it out of the tail.
    if (tail.length >= TAIL_LINES) {
      const plain = tail.findIndex((kept) => missingRequirement(kept) === undefined);
      tail.splice(Math.max(plain, 0), 1);
    }
    tail.push(line);
  };
  const streams = [child.stdout, child.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => createInterface({ input: stream }).on('line', onLine).on('close', resolve)),
  );
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(new DependencyError(`Cannot run ${command}: ${error.message}`)));
    child.once('close', (code) => resolve(code));
  });
  await Promise.all(streams);
  return { exitCode, tail };
}
