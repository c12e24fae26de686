/**
 * Bytecode for the Lambda runtime: the dependency tree gets `.pyc` files written by an interpreter of the target
 * version, in hash-based unchecked mode (PEP 552): a release never changes, so Python loads them without reading or
 * stat-checking a source. The interpreter is looked for where a runner has one (its own python3.X or python3,
 * actions/setup-python's, uv's managed Python); `compile: true` may install one with uv, or fails before any AWS call.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Compile } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';

export class BytecodeError extends EfsyncError {}

/** An interpreter of the target version, as found. */
export interface Interpreter {
  /** Absolute path of the executable (its sys.executable). */
  executable: string;
  /** Its full version, e.g. 3.11.7, for the log. */
  version: string;
  /** Where it was found, e.g. "python3.11 on PATH", for the log. */
  source: string;
}

/** One place to look: a command (a name on PATH or a path) and how the log names it. */
export interface Candidate {
  command: string;
  source: string;
}

/** The system's ways to look; tests replace them. */
export interface Finder {
  env: Readonly<Record<string, string | undefined>>;
  /** Runs the command with the arguments; its stdout, or undefined when it does not run or exits non-zero. */
  run: (command: string, args: string[], timeoutMs?: number) => Promise<string | undefined>;
  /** The entries of a directory, [] when there is none. */
  list: (dir: string) => string[];
}

/** Prints the interpreter's X.Y.Z and sys.executable, one per line. */
export const PROBE_CODE = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)';

/** X.Y.Z versions, newest first ("3.11.10" before "3.11.9"); anything else sorts last. */
export function newestFirst(versions: readonly string[]): string[] {
  const parts = (v: string) => v.split('.').map((n) => (/^\d+$/.test(n) ? Number(n) : -1));
  return [...versions].sort((a, b) => {
    const [pa, pb] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pb[i] ?? -1) - (pa[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/**
 * The places an interpreter of X.Y may be, in order: python3.X and python3 on PATH, setup-python's
 * `$pythonLocation`, then the runner's tool cache (`$RUNNER_TOOL_CACHE/Python/X.Y.Z/<arch>/bin`), newest first.
 */
export function candidates(version: string, finder: Pick<Finder, 'env' | 'list'>): Candidate[] {
  const { env } = finder;
  const found: Candidate[] = [
    { command: `python${version}`, source: `python${version} on PATH` },
    { command: 'python3', source: 'python3 on PATH' },
  ];
  if (env.pythonLocation) {
    found.push({ command: path.join(env.pythonLocation, 'bin', 'python3'), source: 'actions/setup-python' });
  }
  if (env.RUNNER_TOOL_CACHE) {
    const root = path.join(env.RUNNER_TOOL_CACHE, 'Python');
    const versions = finder.list(root).filter((entry) => entry.startsWith(`${version}.`));
    for (const full of newestFirst(versions)) {
      for (const arch of ['x64', 'arm64']) {
        const command = path.join(root, full, arch, 'bin', 'python3');
        found.push({ command, source: `the runner's tool cache (Python ${full} ${arch})` });
      }
    }
  }
  return found;
}

/** The interpreter a probe's output describes, when it is of version X.Y. */
export function probed(output: string | undefined, version: string, source: string): Interpreter | undefined {
  const [full, executable] = (output ?? '').trim().split('\n');
  if (!full || !executable || !full.startsWith(`${version}.`)) return undefined;
  return { executable: executable.trim(), version: full.trim(), source };
}

async function probe(finder: Finder, candidate: Candidate, version: string): Promise<Interpreter | undefined> {
  return probed(await finder.run(candidate.command, ['-c', PROBE_CODE]), version, candidate.source);
}

/** The first interpreter of X.Y that runs: the places of `candidates`, then `uv python find X.Y` when uv runs. */
export async function findInterpreter(version: string, finder: Finder): Promise<Interpreter | undefined> {
  for (const candidate of candidates(version, finder)) {
    const interpreter = await probe(finder, candidate, version);
    if (interpreter) return interpreter;
  }
  return uvInterpreter(version, finder);
}

async function uvInterpreter(version: string, finder: Finder): Promise<Interpreter | undefined> {
  const found = (await finder.run('uv', ['python', 'find', version]))?.trim().split('\n')[0];
  return found ? probe(finder, { command: found, source: "uv's managed Python" }, version) : undefined;
}

/**
 * The interpreter that compiles, or undefined for none: `false` never compiles, `auto` compiles when one is found,
 * `true` installs one with uv when none is found and uv runs, else throws a BytecodeError. Runs before any AWS call.
 */
export async function resolveCompiler(
  compile: Compile,
  version: string,
  finder: Finder = systemFinder(),
  log: (line: string) => void = () => {},
): Promise<Interpreter | undefined> {
  if (compile === false) return undefined;
  const found = await findInterpreter(version, finder);
  if (found || compile === 'auto') return found;
  const uv = await finder.run('uv', ['--version']);
  if (uv !== undefined) {
    log(`No Python ${version} on this runner for the .pyc files: installing one with uv python install ${version}.`);
    // A download: minutes at most.
    if ((await finder.run('uv', ['python', 'install', version], 600_000)) !== undefined) {
      const installed = await uvInterpreter(version, finder);
      if (installed) return installed;
    }
  }
  const how = uv === undefined ? 'uv is not on PATH to install one' : `\`uv python install ${version}\` failed`;
  throw new BytecodeError(
    `compile is true, but no Python ${version} runs on this runner to write the .pyc files. Looked for python${version} ` +
      `and python3 on PATH, actions/setup-python's and the tool cache's, and uv's; ${how}. Add actions/setup-python ` +
      `with python-version '${version}' before this step, or set compile to false (or auto: compile when one is there).`,
  );
}

/** How the log says what compiling will do (or why not), before the install. */
export function describeCompiler(compile: Compile, version: string, interpreter: Interpreter | undefined): string {
  if (interpreter) {
    return `.pyc files (unchecked-hash) will be written by Python ${interpreter.version} (${interpreter.source}: ${interpreter.executable}).`;
  }
  if (compile === false) return 'No .pyc files: compile is false.';
  return (
    `No .pyc files: no Python ${version} runs on this runner (compile: auto). Add actions/setup-python with ` +
    `python-version '${version}' to ship them, which saves the Lambda compiling every module on a cold start.`
  );
}

/**
 * argv for compileall over a directory: hash-based unchecked .pyc, quiet but for errors, one worker per CPU. `-s dir`
 * records each module's path relative to it, not the scratch directory's: the same sources give the same bytes in
 * every run, so a reinstall re-uploads no .pyc (Python sets the path it loaded a module from when it imports it).
 */
export function compileallArgs(dir: string): string[] {
  return ['-m', 'compileall', '-q', '--invalidation-mode', 'unchecked-hash', '-j', '0', '-s', dir, dir];
}

/**
 * Writes the .pyc files of every module under dir, with the interpreter, by argv (never a shell). A module the
 * target version cannot compile (compileall exits 1 and names it) is published as source, as pip leaves it, with a
 * warning line; anything else is an error.
 */
export async function compileTree(
  interpreter: Interpreter,
  dir: string,
  log: (line: string) => void,
): Promise<{ failed: boolean }> {
  const child = spawn(interpreter.executable, compileallArgs(dir), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const lines: string[] = [];
  const streams = [child.stdout, child.stderr].map(
    (stream) =>
      new Promise<void>((resolve) =>
        createInterface({ input: stream })
          .on('line', (line) => {
            lines.push(line);
            log(line);
          })
          .on('close', resolve),
      ),
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new BytecodeError(`Cannot run Python ${interpreter.version} to write the .pyc files: ${error.message}.`)),
    );
    child.once('close', resolve);
  });
  await Promise.all(streams);
  if (code === 0) return { failed: false };
  if (code === 1 && lines.length > 0) {
    log(
      `Some modules do not compile with Python ${interpreter.version} (above): they are published without .pyc, ` +
        'as pip would leave them.',
    );
    return { failed: true };
  }
  const tail = lines.slice(-15).join('\n');
  throw new BytecodeError(
    `compileall with Python ${interpreter.version} failed (exit code ${code}). Its last lines:\n${tail}`,
  );
}

const execFileAsync = promisify(execFile);

/** The finder of this machine: the process's environment, processes, and the file system. */
export function systemFinder(env: Readonly<Record<string, string | undefined>> = process.env): Finder {
  return {
    env,
    run: async (command, args, timeoutMs = 60_000) => {
      try {
        return (await execFileAsync(command, args, { timeout: timeoutMs, env: env as NodeJS.ProcessEnv })).stdout;
      } catch {
        return undefined;
      }
    },
    list: (dir) => {
      try {
        return fs.readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}
