// The installer's output reaches the runner through installDependencies' log, as plan-targets.ts wires it
// (reporter.info per line): an installer that prints workflow commands (from a package's name, an index's page, a
// build's output) commands nothing, and index credentials are redacted from its lines and its error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { actionReporter } from '../../src/action/reporter.js';
import type { DepsSource } from '../../src/config/types.js';
import { runnerLines } from '../../src/core/untrusted.js';
import { DependencyError } from '../../src/plan/deps.js';
import { installDependencies } from '../../src/plan/deps-install.js';
import { HOSTILE, readAsRunner } from '../support/runner-commands.js';

let dir: string;
let savedPath: string | undefined;

/** A `uv` that prints the hostile lines on stdout and stderr, an index URL with its token, and exits with $EXIT. */
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-relay-'));
  fs.writeFileSync(path.join(dir, 'hostile.txt'), `${HOSTILE.join('\n')}\n`);
  fs.writeFileSync(
    path.join(dir, 'uv'),
    [
      '#!/bin/sh',
      `cat '${dir}/hostile.txt'`,
      `cat '${dir}/hostile.txt' >&2`,
      'echo "Using index https://build:tok3n-s3cret@pypi.example.com/simple/"',
      'echo "No matching distribution found for ::error::name"',
      'exit "$EXIT"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'numpy\n');
  process.env.EXIT = '0';
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  delete process.env.EXIT;
  fs.rmSync(dir, { recursive: true, force: true });
});

const deps: DepsSource = {
  requirements: 'requirements.txt',
  pythonVersion: '3.12',
  architecture: 'x86_64',
  target: 'lib',
  pipArgs: [],
  installer: 'uv',
  compile: false,
};

async function install(): Promise<{ output: string; error?: unknown }> {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  let error: unknown;
  try {
    await installDependencies(
      deps,
      dir,
      path.join(dir, 'build'),
      (line) => actionReporter.info(line),
      { installer: 'uv', version: 'uv 0.0.0-test' },
      { secrets: ['tok3n-s3cret'], authenticated: ['https://pypi.example.com/simple/'] },
    );
  } catch (caught) {
    error = caught;
  } finally {
    // A credential renewed after the installer ran: honoured.
    core.setSecret('renewed-after-install');
    actionReporter.info('renewed-after-install');
    vi.restoreAllMocks();
  }
  return { output: chunks.join(''), ...(error !== undefined && { error }) };
}

function commandsBesideStops(output: string) {
  const reading = readAsRunner(output);
  const stops = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data.toLowerCase());
  return {
    reading,
    others: reading.commands.filter((c) => c.command !== 'stop-commands' && !stops.includes(c.command.toLowerCase())),
  };
}

describe("the installer's output on the runner", () => {
  it('relays every line as printed, commands none, and redacts the index token', async () => {
    const { output, error } = await install();
    expect(error).toBeUndefined();
    const { reading, others } = commandsBesideStops(output);
    expect(others.map((c) => `${c.command}::${c.data}`)).toEqual(['add-mask::renewed-after-install']);
    expect(reading.annotations).toEqual([]);
    for (const line of HOSTILE.flatMap(runnerLines)) expect(reading.log).toContain(line);
    expect(reading.log).toContain('Using index https://build:***@pypi.example.com/simple/');
    expect(output).not.toContain('tok3n-s3cret');
    expect(reading.log).toContain('***');
  });

  it("fails with a message that holds the installer's words redacted, printed as one escaped annotation", async () => {
    process.env.EXIT = '1';
    try {
      const { output, error } = await install();
      expect(error).toBeInstanceOf(DependencyError);
      const message = (error as Error).message;
      expect(message).not.toContain('tok3n-s3cret');
      expect(commandsBesideStops(output).others.map((c) => c.command)).toEqual(['add-mask']);
      // The action fails with the message: @actions/core escapes it into one error command's data.
      const failed: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        failed.push(String(chunk));
        return true;
      });
      core.setFailed(message);
      vi.restoreAllMocks();
      process.exitCode = undefined;
      const { reading } = commandsBesideStops(failed.join(''));
      expect(reading.commands.map((c) => c.command)).toEqual(['error']);
      expect(reading.annotations[0]?.data).toBe(message);
    } finally {
      process.env.EXIT = '0';
    }
  });
});
