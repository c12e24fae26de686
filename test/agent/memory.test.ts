// Issue: a job of 100,000 S3 objects, each with its own presigned URL, is 150 MB and more: the agent must not hold it.
// The job in chunks keeps the agent's peak memory under 256 MB; this measures it on the real agent.
import { describe, expect, it } from 'vitest';
import { measureAgentMemory } from './memory.ts';

const MiB = 1024 * 1024;

describe('agent memory', () => {
  it('publishes a 100,000-object job in chunks with a peak RSS under 256 MB', { timeout: 1_500_000 }, async () => {
    const run = await measureAgentMemory(100_000);
    console.log(
      `agent peak RSS for ${run.files} files in ${run.chunks} chunks: ${(run.peakRssBytes / MiB).toFixed(1)} MiB, ${run.seconds.toFixed(0)} s`,
    );
    expect(run.code, run.stdoutTail).toBe(0);
    expect(run.written).toBe(100_000);
    expect(run.chunks).toBe(100);
    expect(run.peakRssBytes).toBeGreaterThan(0);
    expect(run.peakRssBytes).toBeLessThan(256 * 1000 * 1000);
  });
});
