import { describe, expect, it } from 'vitest';
import { awaitFirstDelivery, isDuplicate } from '../../../src/remote/lambda/duplicate.js';

describe('a job delivered twice', () => {
  it('is told by the function’s answer only: {"duplicate": true} returned, not raised', () => {
    expect(isDuplicate({ kind: 'returned', payload: '{"duplicate": true, "runId": "r1"}' })).toBe(true);
    expect(isDuplicate({ kind: 'returned', payload: '{"duplicate": "yes"}' })).toBe(false);
    expect(isDuplicate({ kind: 'returned', payload: 'not json' })).toBe(false);
    const raised = { kind: 'raised' as const, errorType: 'Unhandled', message: '{"duplicate": true}', timedOut: false };
    expect(isDuplicate(raised)).toBe(false);
  });

  it('waits until the first delivery’s result is in staging', async () => {
    let reads = 0;
    const started = Date.now();
    await awaitFirstDelivery(
      async () => ++reads >= 2,
      Date.now() + 60_000,
      () => undefined,
    );
    expect(reads).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up when the first delivery has been stopped at its timeout, and stops when the run is cancelled', async () => {
    let reads = 0;
    await awaitFirstDelivery(
      async () => {
        reads += 1;
        return false;
      },
      Date.now() + 100,
      () => undefined,
    );
    expect(reads).toBe(2);
    const cancelled = () => {
      throw new Error('cancelled');
    };
    await expect(awaitFirstDelivery(async () => false, Date.now() + 60_000, cancelled)).rejects.toThrow('cancelled');
  });
});
