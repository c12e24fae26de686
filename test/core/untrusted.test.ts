import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionReporter } from '../../src/action/reporter.js';
import { consoleReporter, relay } from '../../src/core/reporter.js';
import { inertJson, isInert, relayText, runnerLines } from '../../src/core/untrusted.js';
import { HOSTILE, readAsRunner } from '../support/runner-commands.js';

/** What the action wrote to stdout while `work` ran. */
function stdoutOf(work: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

/** The commands the runner acted on, but for the stop-commands pairs around relayed blocks. */
function honoured(output: string) {
  const reading = readAsRunner(output);
  const stops = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data.toLowerCase());
  return {
    reading,
    others: reading.commands.filter((c) => c.command !== 'stop-commands' && !stops.includes(c.command.toLowerCase())),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the runner emulation (test/support/runner-commands.ts)', () => {
  it('honours what the runner honours: the attack as the action printed it before, with core.info', () => {
    const output = stdoutOf(() => {
      core.info('::warning title=x::spoof');
      core.info('::stop-commands::abc');
      core.setSecret('renewed-secret-key');
      core.info('key renewed-secret-key');
    });
    const reading = readAsRunner(output);
    // The first line spoofs an annotation; then stop-commands::abc stops everything, the action's mask included.
    expect(reading.annotations).toEqual([expect.objectContaining({ command: 'warning', data: 'spoof' })]);
    expect(reading.annotations[0]?.properties).toEqual({ title: 'x' });
    expect(reading.masks).toEqual([]);
    expect(reading.log).toContain('key renewed-secret-key');
  });

  it('reads each form: leading spaces, a tab, the legacy form anywhere in the line, a carriage return, ignorables', () => {
    for (const line of HOSTILE.filter((l) => !l.includes('stop-commands') && !l.startsWith('::abc'))) {
      expect(readAsRunner(`${line}\n`).commands.length, JSON.stringify(line)).toBeGreaterThan(0);
    }
    expect(readAsRunner('::stop-commands::tok\n::warning::a\n::tok::\n::warning::b\n').annotations).toEqual([
      expect.objectContaining({ data: 'b' }),
    ]);
    expect(readAsRunner('a ::warning::mid-line is no V2 command\n').commands).toEqual([]);
  });
});

describe('relayText', () => {
  it('leaves inert lines bare, one per line, and splits at \\r as the runner does', () => {
    expect(relayText(['Collecting numpy (from -r requirements.txt (line 1))', 'Downloading https://host/x.whl'])).toBe(
      'Collecting numpy (from -r requirements.txt (line 1))\nDownloading https://host/x.whl\n',
    );
    expect(runnerLines('a\r\nb\rc\nd')).toEqual(['a', 'b', 'c', 'd']);
    expect(relayText([])).toBe('');
  });

  it('wraps a block with any line that is not inert between a fresh stop token and its resume', () => {
    expect(relayText(['ok', '::warning::x'], () => 'T0K3N')).toBe(
      '::stop-commands::T0K3N\nok\n::warning::x\n::T0K3N::\n',
    );
    expect(relayText(['a\rb::'], () => 'T0K3N')).toBe('::stop-commands::T0K3N\na\nb::\n::T0K3N::\n');
    for (const line of ['a::b', 'x ##[y', ':\u00ad:', '#\u200b#[', ':\t:', '\uff1a\uff1a', '\u2a74=', '#\x07#[']) {
      expect(isInert(line), JSON.stringify(line)).toBe(false);
    }
    for (const line of [
      'a: b',
      'https://host/simple/',
      '# comment',
      '[x]',
      'tab\there',
      'caf\u00e9',
      '  \u00d7 No solution found',
    ]) {
      expect(isInert(line), JSON.stringify(line)).toBe(true);
    }
    const [one, two] = [relayText(['::x::']), relayText(['::x::'])];
    expect(one).not.toBe(two);
  });
});

describe('the action reporter on the runner', () => {
  it('prints hostile text as it is, with no command honoured, no annotation spoofed, and later masks honoured', () => {
    const output = stdoutOf(() => {
      core.setSecret('early-secret');
      actionReporter.info('Waiting for the lock: held by');
      relay(actionReporter, HOSTILE);
      for (const line of HOSTILE) actionReporter.info(`plan: add ${line}`);
      actionReporter.info(HOSTILE.join('\n'));
      // A credential renewed after the relayed text: its mask must be honoured.
      core.setSecret('renewed-secret-key');
      actionReporter.info('key renewed-secret-key and early-secret');
      actionReporter.warning('the action warns ::warning::x');
    });
    const { reading, others } = honoured(output);
    expect(others.map((c) => c.command)).toEqual(['add-mask', 'add-mask', 'warning']);
    expect(reading.annotations).toEqual([expect.objectContaining({ data: 'the action warns ::warning::x' })]);
    expect(reading.masks).toEqual(expect.arrayContaining(['early-secret', 'renewed-secret-key']));
    expect(reading.log).toContain('key *** and ***');
    // Every hostile line reached the log as written (split where the runner splits it).
    for (const line of HOSTILE.flatMap(runnerLines)) expect(reading.log).toContain(line);
    expect(reading.log).toContain('plan: add ::warning title=x::spoof');
  });

  it('writes a relayed block in one write, so no command of the action can land inside it; plain lines as core.info', () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    relay(actionReporter, HOSTILE);
    actionReporter.info('Publish models to models (Lambda: /mnt/efs/models).');
    vi.restoreAllMocks();
    expect(writes).toHaveLength(2);
    expect(writes[0]).toMatch(/^::stop-commands::(efsync-[0-9a-f]{32})\n[\s\S]*\n::\1::\n$/);
    expect(writes[1]).toBe('Publish models to models (Lambda: /mnt/efs/models).\n');
  });

  it('is safe for any mix of command characters (a seeded fuzz)', () => {
    const pieces = [
      '::',
      ':',
      '##[',
      '#',
      '[',
      ']',
      ' ',
      '\t',
      '\r',
      '\n',
      '\u00ad',
      '\u200b',
      'warning',
      'error',
      'add-mask',
      'stop-commands',
      'abc',
      'title=x',
      '=',
      ',',
      ';',
      'é',
      '\uff1a',
      '\u2a74',
      '×',
    ];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const line = Array.from({ length: 1 + (next() % 12) }, () => pieces[next() % pieces.length]).join('');
      const output = stdoutOf(() => {
        actionReporter.info(line);
        relay(actionReporter, [line, line]);
        core.setSecret('mask-after');
      });
      const { others } = honoured(output);
      expect(
        others.map((c) => c.command),
        JSON.stringify(line),
      ).toEqual(['add-mask']);
    }
  });

  it('in a workflow run step, the CLI reporter relays through the same rule on stderr', () => {
    const saved = process.env.GITHUB_ACTIONS;
    process.env.GITHUB_ACTIONS = 'true';
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((text: string) => void err.push(text));
    try {
      consoleReporter.info('::warning::spoof');
      relay(consoleReporter, HOSTILE);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_ACTIONS;
      else process.env.GITHUB_ACTIONS = saved;
    }
    const { reading, others } = honoured(`${err.join('\n')}\n`);
    expect(others).toEqual([]);
    expect(reading.log).toContain('::warning::spoof');
  });
});

describe("inertJson (the CLI's result on stdout)", () => {
  it('is the same value, and every line of it inert', () => {
    const value = {
      'local-path': '/mnt/efs/::warning::x',
      note: '##[error]y\r::add-mask::z',
      café: 'é\u00ad\u{1f600}',
      n: [1, ':::'],
    };
    const text = inertJson(value);
    expect(JSON.parse(text)).toEqual(value);
    for (const line of text.split('\n')) expect(isInert(line), line).toBe(true);
    expect(readAsRunner(`${text}\n`).commands).toEqual([]);
  });
});
