import { describe, expect, it } from 'vitest';
import { LogTail } from '../../src/run/log-tail.js';

/** A log that grows between reads, as the agent's uploads make it grow. */
function growing(...versions: (string | undefined)[]) {
  let read = 0;
  return () => Promise.resolve(versions[Math.min(read++, versions.length - 1)]);
}

describe('LogTail', () => {
  it('prints each whole line once as the log grows, a last partial line only at the end, never the result line', async () => {
    const printed: string[] = [];
    const tail = new LogTail(growing(undefined, 'a\nb', 'a\nbé\nc\n', 'a\nbé\nc\nEFSYNC_RESULT {}\nlast'), (line) =>
      printed.push(line),
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
      (line) => printed.push(line),
    );
    const following = tail.follow(5);
    while (reads < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await following.stop();
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads).toBe(after);
    expect(printed).toEqual(['x']);
  });
});
