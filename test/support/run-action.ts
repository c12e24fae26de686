// Runs a committed dist/ bundle the way the runner does: INPUT_* variables and the GITHUB_* command files.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './repo.ts';

export interface StepResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The contents of GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY after the step. */
  output: string;
  state: string;
  summary: string;
  dir: string;
}

/** A fresh directory with the runner's command files, and the environment a step gets. */
function prepareStep(
  inputs: Record<string, string>,
  extraEnv: Record<string, string>,
): { dir: string; env: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-step-'));
  for (const name of ['output', 'state', 'summary']) fs.writeFileSync(path.join(dir, name), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GITHUB_WORKSPACE: extraEnv.GITHUB_WORKSPACE ?? dir,
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    RUNNER_TEMP: dir,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return { dir, env };
}

function readStep(dir: string, status: number | null, stdout: string, stderr: string): StepResult {
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return { status, stdout, stderr, output: read('output'), state: read('state'), summary: read('summary'), dir };
}

export function runBundle(
  bundle: 'main' | 'post',
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): StepResult {
  const { dir, env } = prepareStep(inputs, extraEnv);
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', bundle, 'index.js')], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return readStep(dir, result.status, result.stdout, result.stderr);
}

/** Reads a GITHUB_OUTPUT or GITHUB_STATE file (name<<delimiter blocks) into name → value. */
export function parseCommandFile(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n?\2$/gm)].map(([, name, , value]) => [name, value ?? '']),
  );
}

export interface RunningStep {
  child: ReturnType<typeof spawn>;
  /** Resolves once the output so far contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<StepResult>;
}

/** Like runBundle, but returns at once, so a test can signal the step mid-run (or run other steps meanwhile). */
export function startBundle(
  bundle: 'main' | 'post',
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): RunningStep {
  return startScript([path.join(ROOT, 'dist', bundle, 'index.js')], inputs, extraEnv);
}

/** Runs a Node script in a step's environment and directory; `args` are the script and its arguments. */
export function startScript(
  args: string[],
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): RunningStep {
  const { dir, env } = prepareStep(inputs, extraEnv);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { test: string | RegExp; resolve: () => void }[] = [];
  const matches = (test: string | RegExp) => (typeof test === 'string' ? stdout.includes(test) : test.test(stdout));
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const waiter of waiters.filter((w) => matches(w.test))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<StepResult>((resolve) => {
    child.on('close', (status) => resolve(readStep(dir, status, stdout, stderr)));
  });
  return {
    child,
    done,
    waitFor: (test, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (matches(test)) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${test} in:\n${stdout.slice(-2000)}`)),
          timeoutMs,
        );
        waiters.push({
          test,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}
