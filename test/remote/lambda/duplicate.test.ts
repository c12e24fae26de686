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
    // Read until the first delivery's time is over, a last time then, and no longer.
    const reads: number[] = [];
    const endsAt = Date.now() + 100;
    await awaitFirstDelivery(
      async () => {
        reads.push(Date.now());
        return false;
      },
      endsAt,
      () => undefined,
    );
    expect(reads.at(-1)).toBeGreaterThanOrEqual(endsAt - 5);
    expect(Date.now()).toBeLessThan(endsAt + 5_000);
    const cancelled = () => {
      throw new Error('cancelled');
    };
    await expect(awaitFirstDelivery(async () => false, Date.now() + 60_000, cancelled)).rejects.toThrow('cancelled');
  });
});
