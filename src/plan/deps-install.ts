/**
 * The processes of dependency planning: which installer runs on this runner, the requirements as pip reads them
 * (includes inlined, for the release key), and the install itself into a scratch directory, whose tree it returns.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { DepsSource, Installer } from '../config/types.js';
import { isUrlInclude } from '../core/requirements.js';
import type { Tree } from '../core/tree.js';
import { redact } from '../core/url-credentials.js';
import { compileTree, type Interpreter } from './bytecode.js';
import {
  DependencyError,
  explainInstallFailure,
  type InstallerName,
  includedFile,
  installCommand,
  missingRequirement,
  refusedCredentials,
} from './deps.js';
import { walkLocal } from './local.js';

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
    if (include === undefined || isUrlInclude(include)) continue;
    out.push(await readRequirements(path.resolve(path.dirname(absolute), include), [...includedFrom, absolute]));
  }
  return out.join('\n');
}

export interface ResolvedInstaller {
  installer: InstallerName;
  /** e.g. "pip 24.0" or "uv 0.9.0", for the log. */
  version: string;
  /** The runner's python3, when it runs: pip runs with it; uv installs for it. */
  python?: string;
  /** Its X.Y (the .pyc are written by an interpreter of the target version instead: bytecode.ts). */
  runnerPythonVersion?: string;
  /** Its sys.prefix, where pip reads its site configuration (index-discovery.ts). */
  pythonPrefix?: string;
}

const execFileAsync = promisify(execFile);

/** The first line a command prints (every line with `all`), or undefined when it does not run. */
async function probe(command: string, args: string[], all = false): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { timeout: 60_000 });
    const text = stdout.trim() || stderr.trim();
    return all ? text : text.split('\n')[0];
  } catch {
    return undefined;
  }
}

/** 'auto' takes uv when `uv --version` runs, else pip; an explicit choice that cannot run is an error. */
export async function resolveInstaller(choice: Installer): Promise<ResolvedInstaller> {
  const python = 'python3';
  // Each probe starts an interpreter (a second or more on a busy runner): side by side, not one after another.
  const [runner, uv, pip] = await Promise.all([
    probe(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); print(sys.prefix)'], true),
    choice !== 'pip' ? probe('uv', ['--version']) : undefined,
    choice !== 'uv' ? probe(python, ['-m', 'pip', '--version']) : undefined,
  ]);
  const [runnerPythonVersion, pythonPrefix] = runner?.split('\n') ?? [];
  const withPython = runnerPythonVersion ? { python, runnerPythonVersion, ...(pythonPrefix && { pythonPrefix }) } : {};
  if (choice !== 'pip') {
    if (uv !== undefined) return { installer: 'uv', version: uv, ...withPython };
    if (choice === 'uv') {
      throw new DependencyError(
        'installer is uv, but `uv --version` does not run on this runner: add astral-sh/setup-uv before this step, ' +
          'or set installer to pip.',
      );
    }
  }
  if (pip === undefined) {
    throw new DependencyError(
      '`python3 -m pip --version` does not run on this runner: add actions/setup-python before this step.',
    );
  }
  return { installer: 'pip', version: pip.split(' from ')[0] ?? pip, ...withPython };
}

/** Lines kept for the error message; the whole output goes to the log as it arrives. */
const TAIL_LINES = 200;

/** What the install knows of its package indexes' credentials (index-discovery.ts). */
export interface IndexAccess {
  /** Every printable form of a credential: redacted from each line of the installer's output. */
  secrets: readonly string[];
  /** The indexes that carry credentials, without them, for the message of a failed install. */
  authenticated: readonly string[];
}

/**
 * Installs into buildDir (emptied first: it is a scratch directory) and returns its tree. Runs in the workspace, so
 * relative paths in pip-args and in the requirements resolve as they do for pip run there by hand. Every line of
 * the installer's output is relayed with the index credentials redacted, the error's lines too. The installer
 * writes no .pyc; with a `compiler` (an interpreter of the target version), compileall writes them afterwards.
 */
export async function installDependencies(
  deps: DepsSource,
  workspace: string,
  buildDir: string,
  log: (line: string) => void,
  resolved?: ResolvedInstaller,
  access: IndexAccess = { secrets: [], authenticated: [] },
  compiler?: Interpreter,
): Promise<Tree> {
  const requirements = path.resolve(workspace, deps.requirements);
  await fs.access(requirements).catch(() => {
    throw new DependencyError(`The requirements file ${deps.requirements} does not exist in the workspace.`);
  });
  const installer = resolved ?? (await resolveInstaller(deps.installer));
  log(
    `Installing ${deps.requirements} for python${deps.pythonVersion} on ${deps.architecture} with ${installer.version}`,
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
  });
  const { exitCode, tail } = await runStreaming(command, args, workspace, log, access.secrets);
  if (exitCode !== 0) {
    const message = explainInstallFailure(deps, installer.installer, exitCode, tail, access.authenticated);
    throw new DependencyError(redact(message, access.secrets));
  }
  if (compiler) {
    log(`Compiling .pyc (unchecked-hash) with Python ${compiler.version}`);
    await compileTree(compiler, buildDir, log);
  }
  return walkLocal(buildDir);
}

async function runStreaming(
  command: string,
  args: string[],
  cwd: string,
  log: (line: string) => void,
  secrets: readonly string[],
): Promise<{ exitCode: number | null; tail: string[] }> {
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const tail: string[] = [];
  const onLine = (raw: string) => {
    const line = redact(raw, secrets);
    log(line);
    // A "no matching distribution" line, or an index's refusal of the credentials, is kept even when a long output would push it out of the tail.
    if (tail.length >= TAIL_LINES) {
      const plain = tail.findIndex(
        (kept) => missingRequirement(kept) === undefined && refusedCredentials(kept) === undefined,
      );
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
