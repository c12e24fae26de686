// Lambda execution environments of the test bed: each a process in a sandbox of its own (sandbox/lambda-enter.sh) that
// runs the function's Python runtime (sandbox/lambda-runtime.py), kept warm between invocations as Lambda keeps an
// environment ("Lambda execution environment lifecycle",
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): the module is imported once (the Init
// phase, at most 10 seconds), what the function leaves in /tmp and in memory the next invocation on the same
// environment finds, one invocation at a time per environment, and an environment whose invocation timed out or whose
// runtime exited is not used again.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Mount } from './lambda-efs.ts';

const HERE = import.meta.dirname;
const RECORD = '\x1e';
// "The Init phase is limited to 10 seconds" (Lambda execution environment lifecycle, Init phase).
const INIT_LIMIT_MS = 10_000;

export interface Outcome {
  kind: 'result' | 'error' | 'timeout' | 'exit';
  /** The result (JSON text), or the error document. */
  payload: string;
  /** The invocation's part of the function's log. */
  output: string;
  durationMs: number;
  initMs?: number;
  /** On a cold start: what the function's module printed as it was imported (the Init phase). */
  initOutput?: string;
  maxMemoryMiB: number;
}

export interface EnvironmentSpec {
  functionName: string;
  runtime: string;
  memoryMiB: number;
  ephemeralMiB: number;
  network: boolean;
  env: Record<string, string>;
  mounts: Mount[];
  /** The function's code directory (holding index.py) and the runtime interface's, under the state directory. */
  taskDir: string;
  runtimeDir: string;
}

/** The pyenv Python X.Y for runtime pythonX.Y, or the nearest X.Y the machine has (`nearest` says so). */
export function findPython(runtime: string): { home: string; version: string; nearest: boolean } {
  const wanted = /^python(\d+)\.(\d+)$/.exec(runtime);
  const root = process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  const versions = path.join(root, 'versions');
  const found = (fs.existsSync(versions) ? fs.readdirSync(versions) : [])
    .map((v) => /^(\d+)\.(\d+)\.\d+$/.exec(v))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => fs.existsSync(path.join(versions, m[0], 'bin', `python${m[1]}.${m[2]}`)))
    .map((m) => ({ home: path.join(versions, m[0]), major: Number(m[1]), minor: Number(m[2]) }));
  const major = Number(wanted?.[1] ?? 3);
  const minor = Number(wanted?.[2] ?? 0);
  // Nearest by minor version among the same major; a newer one on a tie (closer to Lambda's current runtimes).
  const best = found
    .filter((v) => v.major === major)
    .sort((a, b) => Math.abs(a.minor - minor) - Math.abs(b.minor - minor) || b.minor - a.minor)[0];
  if (!best) throw new Error(`no Python ${major}.x under ${versions} to run ${runtime}`);
  return { home: best.home, version: `${best.major}.${best.minor}`, nearest: best.minor !== minor };
}

/** Where the function's memory is bounded: a memory cgroup (v1 or v2) if the machine lets the bed make one. */
function memoryLimit(id: string, memoryMiB: number): { arg: string; dir?: string } {
  const bytes = memoryMiB * 1024 * 1024;
  for (const [base, file] of [
    ['/sys/fs/cgroup/memory', 'memory.limit_in_bytes'],
    ['/sys/fs/cgroup', 'memory.max'],
  ] as const) {
    const dir = path.join(base, `efsync-lambda-${id}`);
    try {
      if (!fs.existsSync(path.join(base, file)) && !fs.existsSync(path.join(base, 'cgroup.controllers'))) continue;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, file), String(bytes));
      return { arg: `cgroup:${dir}`, dir };
    } catch {
      try {
        fs.rmdirSync(dir);
      } catch {}
    }
  }
  return { arg: `as:${memoryMiB * 1024}` }; // an address-space bound: stricter than a memory bound
}

function peakMiB(dir: string | undefined, pid: number | undefined): number {
  for (const file of ['memory.max_usage_in_bytes', 'memory.peak']) {
    try {
      if (!dir) break;
      const peak = Number(fs.readFileSync(path.join(dir, file), 'utf8'));
      const shmem = /^(?:total_)?shmem (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'memory.stat'), 'utf8'))?.[1];
      return Math.ceil(Math.max(0, peak - Number(shmem ?? 0)) / 1048576);
    } catch {}
  }
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Math.ceil(Number(kb ?? 0) / 1024);
  } catch {
    return 0;
  }
}

let counter = 0;

export class Environment {
  readonly id = `${process.pid}-${++counter}`;
  readonly functionName: string;
  busy = false;
  /** Not to be used again (it timed out, exited or went cold). */
  dead = false;
  private exited = false;
  idleSince = Date.now();
  private readonly child: ChildProcess;
  private readonly cgroup: string | undefined;
  private stdout = '';
  /** The function's output since the invocation began. */
  private logged = '';
  private waiter: ((record: Record<string, unknown> | undefined) => void) | undefined;
  private readonly ready: Promise<Record<string, unknown> | undefined>;
  private initMs: number | undefined;
  private readonly spawnedAt = Date.now();
  /** What the bed's log should know: the runtime chosen, sandbox problems. */
  readonly notes: string[] = [];

  constructor(stateDir: string, spec: EnvironmentSpec) {
    this.functionName = spec.functionName;
    const python = findPython(spec.runtime);
    if (python.nearest)
      this.notes.push(
        `function ${spec.functionName}: runtime ${spec.runtime} runs with Python ${python.version}, the nearest the machine has`,
      );
    // A memory cgroup also counts the pages of the tmpfs at /tmp, which on Lambda are not the function's memory: the
    // bound is the memory and the ephemeral storage together, and what the function used leaves /tmp's pages out.
    const memory = memoryLimit(this.id, spec.memoryMiB + spec.ephemeralMiB);
    this.cgroup = memory.dir;
    if (!memory.dir) this.notes.push(`function ${spec.functionName}: no memory cgroup; memory bound as address space`);
    const user = spec.mounts[0];
    // Lambda runs functions as a user of its own, not root; with an access point, as its POSIX user here, so that
    // what the function writes on the bind-mounted file system has the owner EFS would give it.
    const uid = user?.uid ?? 993;
    const gid = user?.gid ?? 990;
    const groups = user?.secondaryGids.length ? user.secondaryGids.join(',') : '-';
    const args = [
      path.join(HERE, 'sandbox/lambda-enter.sh'),
      stateDir,
      spec.taskDir,
      spec.runtimeDir,
      python.home,
      python.version,
      String(spec.ephemeralMiB),
      String(uid),
      String(gid),
      groups,
      memory.arg,
      // Root on its file system (lambda-efs.ts Mount.root): the powers of root over files, and only those.
      user?.root ? 'root' : '-',
      ...spec.mounts.flatMap((m) => [m.source, m.localMountPath, m.readOnly ? 'ro' : 'rw']),
    ];
    this.child = spawn(
      'unshare',
      ['-m', ...(spec.network ? [] : ['-n']), '--propagation', 'private', '--', 'bash', ...args],
      {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: spec.env,
      },
    );
    // A runtime that died before its event was written: the write fails, and the exit answers the invocation.
    this.child.stdin?.on('error', () => undefined);
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.read(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.notes.push(chunk.toString('utf8').trim()));
    this.child.on('exit', () => this.died());
    this.child.on('error', () => this.died());
    this.ready = new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private read(chunk: string): void {
    this.stdout += chunk;
    for (;;) {
      const at = this.stdout.indexOf(RECORD);
      const end = at < 0 ? -1 : this.stdout.indexOf('\n', at);
      if (end < 0) return;
      const record = JSON.parse(this.stdout.slice(at + 1, end)) as Record<string, unknown>;
      this.logged += this.stdout.slice(0, at);
      this.stdout = this.stdout.slice(end + 1);
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.(record);
    }
  }

  private died(): void {
    if (this.exited) return;
    this.exited = true;
    this.dead = true;
    this.logged += this.stdout;
    this.stdout = '';
    const waiter = this.waiter;
    this.waiter = undefined;
    // The cgroup goes once its processes have.
    setTimeout(() => {
      try {
        if (this.cgroup) fs.rmdirSync(this.cgroup);
      } catch {}
    }, 200).unref();
    waiter?.(undefined);
  }

  kill(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {}
  }

  /** Runs one invocation: the event (JSON text), its request id, the invoked ARN, the function's timeout. */
  async invoke(event: string, requestId: string, arn: string, timeoutMs: number): Promise<Outcome> {
    this.busy = true;
    const cold = this.initMs === undefined;
    const started = Date.now();
    const timer = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    if (cold) {
      const ready = await Promise.race([this.ready, timer(INIT_LIMIT_MS)]);
      if (ready === 'timeout' || ready === undefined)
        return this.end(ready === 'timeout' ? 'timeout' : 'exit', started);
      this.initMs = Date.now() - this.spawnedAt;
    }
    const initOutput = cold ? this.logged : undefined;
    this.logged = '';
    const began = Date.now();
    const answer = new Promise<Record<string, unknown> | undefined>((resolve) => {
      this.waiter = resolve;
    });
    this.child.stdin?.write(`${JSON.stringify({ requestId, event, deadlineMs: began + timeoutMs, arn })}\n`);
    const record = await Promise.race([answer, timer(timeoutMs)]);
    if (record === 'timeout') return this.end('timeout', began);
    if (record === undefined) return this.end('exit', began);
    const outcome: Outcome = {
      kind: record.error ? 'error' : 'result',
      payload: record.error ? JSON.stringify(record.error) : String(record.result ?? 'null'),
      output: this.logged,
      durationMs: Date.now() - began,
      ...(cold && this.initMs !== undefined && { initMs: this.initMs }),
      ...(initOutput && { initOutput }),
      maxMemoryMiB: peakMiB(this.cgroup, this.child.pid),
    };
    this.busy = false;
    this.idleSince = Date.now();
    return outcome;
  }

  /** An invocation that ended the environment: it timed out, or the runtime exited. */
  private end(kind: 'timeout' | 'exit', began: number): Outcome {
    const maxMemoryMiB = peakMiB(this.cgroup, this.child.pid);
    this.kill();
    this.dead = true;
    this.busy = false;
    return { kind, payload: '', output: this.logged + this.stdout, durationMs: Date.now() - began, maxMemoryMiB };
  }
}
