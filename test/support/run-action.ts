// Runs a committed dist/ bundle the way the runner does: INPUT_* variables and the GITHUB_* command files.
import { spawnSync } from 'node:child_process';
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

export function runBundle(
  bundle: 'main' | 'post',
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): StepResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-step-'));
  const files = { output: 'output', state: 'state', summary: 'summary' } as const;
  for (const name of Object.values(files)) fs.writeFileSync(path.join(dir, name), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GITHUB_WORKSPACE: extraEnv.GITHUB_WORKSPACE ?? dir,
    GITHUB_OUTPUT: path.join(dir, files.output),
    GITHUB_STATE: path.join(dir, files.state),
    GITHUB_STEP_SUMMARY: path.join(dir, files.summary),
    RUNNER_TEMP: dir,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', bundle, 'index.js')], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: read(files.output),
    state: read(files.state),
    summary: read(files.summary),
    dir,
  };
}

/** Reads a GITHUB_OUTPUT or GITHUB_STATE file (name<<delimiter blocks) into name → value. */
export function parseCommandFile(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n?\2$/gm)].map(([, name, , value]) => [name, value ?? '']),
  );
}
