import * as core from '@actions/core';
import { describe, expect, it, vi } from 'vitest';
import { actionReporter } from '../../src/action/reporter.js';
import { relay } from '../../src/core/reporter.js';
import { runnerLines } from '../../src/core/untrusted.js';
import { LogTail } from '../../src/remote/log-tail.js';
import { HOSTILE, readAsRunner } from '../support/runner-commands.js';

/** A log that grows between reads, as the agent's uploads make it grow. */
function growing(...versions: (string | undefined)[]) {
  let read = 0;
  return () => Promise.resolve(versions[Math.min(read++, versions.length - 1)]);
}

describe('LogTail', () => {
  it('prints each whole line once as the log grows, a last partial line only at the end, never the result line', async () => {
    const printed: string[] = [];
    const tail = new LogTail(growing(undefined, 'a\nb', 'a\nbé\nc\n', 'a\nbé\nc\nEFSYNC_RESULT {}\nlast'), (lines) =>
      printed.push(...lines),
    );
    await tail.poll();
    expect(tail.text).toBeUndefined();
    await tail.poll();
    expect(printed).toEqual(['a']);
    await tail.poll();
    expect(printed).toEqual(['a', 'bé', 'c']);
    await tail.poll(true);
    expect(printed).toEqual(['a', 'bé', 'c', 'last']);
    expect(tail.text).toBe('a\nbé\nc\nEFSYNC_RESULT {}\nlast');
  });

  it('follows until stopped, and a failed read is only retried at the next round', async () => {
    const printed: string[] = [];
    let reads = 0;
    const tail = new LogTail(
      () => (++reads === 1 ? Promise.reject(new Error('throttled')) : Promise.resolve('x\n')),
      (lines) => printed.push(...lines),
    );
    const following = tail.follow(5);
    while (reads < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await following.stop();
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads).toBe(after);
    expect(printed).toEqual(['x']);
  });

  it('relays the agent log to the runner with no command read in it, a credential renewed between reads masked', async () => {
    // The agent logs the lock holder's text as it is; the log grows between reads.
    const holder = HOSTILE.join('\n');
    const log = [
      `2026-12-05T21:00:00Z waiting for the lock, held by: ${holder}\n`,
      `2026-12-05T21:00:01Z still held by: ${HOSTILE[0]}\rnext ::stop-commands::zzz\n`,
      '2026-12-05T21:00:02Z uploading renewed-secret-key\n##[error]last, partial',
    ];
    const chunks: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      const tail = new LogTail(growing(log.slice(0, 1).join(''), log.slice(0, 2).join(''), log.join('')), (lines) =>
        relay(actionReporter, lines),
      );
      await tail.poll();
      core.setSecret('early-secret');
      await tail.poll();
      // The credentials renewal's mask, between two reads of the log (src/aws/credentials.ts).
      core.setSecret('renewed-secret-key');
      await tail.poll(true);
      actionReporter.info('early-secret renewed-secret-key');
    } finally {
      vi.restoreAllMocks();
    }
    const reading = readAsRunner(chunks.join(''));
    const stops = reading.commands.filter((c) => c.command === 'stop-commands').map((c) => c.data);
    const others = reading.commands.filter((c) => c.command !== 'stop-commands' && !stops.includes(c.command));
    expect(others.map((c) => `${c.command}::${c.data}`)).toEqual([
      'add-mask::early-secret',
      'add-mask::renewed-secret-key',
    ]);
    expect(reading.annotations).toEqual([]);
    expect(reading.log).toContain('*** ***');
    expect(reading.log).toContain('2026-12-05T21:00:02Z uploading ***');
    expect(reading.log).toContain('##[error]last, partial');
    for (const line of HOSTILE.flatMap(runnerLines).slice(1)) expect(reading.log).toContain(line);
  });
});

describe('LogTail.follow', () => {
  it('reads on its interval, and its stop ends the pause at once instead of sleeping it out', async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      const tail = new LogTail(
        async () => {
          reads += 1;
          return 'line\n';
        },
        () => undefined,
      );
      const following = tail.follow(10_000);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(reads).toBe(1);
      // No timer advanced: a stop that waited for the pause would never end here.
      let stopped = false;
      const stopping = following.stop().then(() => {
        stopped = true;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(true);
      await stopping;
      expect(reads).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
