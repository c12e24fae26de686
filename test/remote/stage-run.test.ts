import { describe, expect, it } from 'vitest';
import type { Reporter } from '../../src/core/reporter.js';
import { progress } from '../../src/remote/stage-run.js';

const MiB = 1048576;

function recorder() {
  const lines: string[] = [];
  const reporter: Reporter = {
    info: (message) => void lines.push(message),
    warning: (message) => void lines.push(`warning: ${message}`),
    group: (_title, work) => work(),
    secret: () => {},
  };
  return { lines, reporter };
}

/** A clock the test moves by hand, in milliseconds. */
function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('progress', () => {
  it('prints at most one line per interval, with the rate and the time left', () => {
    const { lines, reporter } = recorder();
    const time = clock();
    const report = progress(reporter, 5000, time.now);
    time.advance(1000);
    report(10 * MiB, 100 * MiB); // the first call: a line at once
    time.advance(1000);
    report(20 * MiB, 100 * MiB); // within the interval: nothing
    time.advance(3999);
    report(30 * MiB, 100 * MiB); // 4999 ms after the last line: still nothing
    time.advance(1);
    report(50 * MiB, 100 * MiB); // 5000 ms: a line; 50 MiB in 6 s
    expect(lines).toEqual([
      'Staging: 10.0 of 100.0 MiB, 10.0 MiB/s, about 9 s left',
      'Staging: 50.0 of 100.0 MiB, 8.3 MiB/s, about 6 s left',
    ]);
  });

  it('always prints the final line, even right after another', () => {
    const { lines, reporter } = recorder();
    const time = clock();
    const report = progress(reporter, 5000, time.now);
    time.advance(2000);
    report(1 * MiB, 4 * MiB);
    time.advance(10);
    report(2 * MiB, 4 * MiB);
    time.advance(10);
    report(4 * MiB, 4 * MiB);
    expect(lines).toEqual([
      'Staging: 1.0 of 4.0 MiB, 0.5 MiB/s, about 6 s left',
      'Staging: 4.0 of 4.0 MiB, 2.0 MiB/s, done',
    ]);
  });

  it('takes the interval it is given', () => {
    const { lines, reporter } = recorder();
    const time = clock();
    const report = progress(reporter, 100, time.now);
    for (let i = 1; i <= 10; i++) {
      time.advance(50);
      report(i * MiB, 20 * MiB);
    }
    // 10 calls 50 ms apart: the first, then every other one.
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('Staging: 1.0 of 20.0 MiB, 20.0 MiB/s, about 1 s left');
  });

  it('tells no rate before the first byte, and nothing when there is nothing to upload', () => {
    const { lines, reporter } = recorder();
    const time = clock();
    const report = progress(reporter, 5000, time.now);
    time.advance(6000);
    report(0, 0);
    report(0, 10 * MiB);
    expect(lines).toEqual(['Staging: 0.0 of 10.0 MiB, starting']);
  });
});
