import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyStats } from '../../src/core/result.js';
import { Cleanup, newRunId, RunCancelled, throwIfCancelled, timed, waitsFor } from '../../src/remote/context.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('newRunId', () => {
  const NOW = new Date('2026-03-04T05:06:07.890Z');

  it('is the time to the second and six random hex digits', () => {
    vi.stubEnv('GITHUB_RUN_ID', undefined);
    expect(newRunId(NOW)).toMatch(/^20260304T050607Z-[0-9a-f]{6}$/);
    expect(newRunId(NOW)).not.toBe(newRunId(NOW));
  });

  it("starts with the workflow run's id on a runner", () => {
    vi.stubEnv('GITHUB_RUN_ID', '16123456789');
    expect(newRunId(NOW)).toMatch(/^16123456789-20260304T050607Z-[0-9a-f]{6}$/);
  });

  it.each(['', 'abc', '12 34', '12/../34', '-1'])('leaves out a run id that is not a number: %j', (runId) => {
    vi.stubEnv('GITHUB_RUN_ID', runId);
    expect(newRunId(NOW)).toMatch(/^20260304T050607Z-[0-9a-f]{6}$/);
  });

  it('reads the clock when given no time', () => {
    vi.stubEnv('GITHUB_RUN_ID', undefined);
    vi.useFakeTimers({ now: new Date('2027-12-31T23:59:59.999Z'), toFake: ['Date'] });
    expect(newRunId()).toMatch(/^20271231T235959Z-[0-9a-f]{6}$/);
  });
});

describe('Cleanup', () => {
  it('runs the tasks newest first', async () => {
    const order: string[] = [];
    const cleanup = new Cleanup();
    for (const name of ['clients', 'instance', 'staging']) cleanup.add(name, async () => void order.push(name));
    expect(cleanup.started).toBe(false);
    await cleanup.run(() => {});
    expect(cleanup.started).toBe(true);
    expect(order).toEqual(['staging', 'instance', 'clients']);
  });

  it('runs each task once, even when run twice at the same time', async () => {
    const calls: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cleanup = new Cleanup();
    cleanup.add('first', async () => void calls.push('first'));
    cleanup.add('slow', async () => {
      calls.push('slow');
      await gate;
    });
    const reports: string[] = [];
    const one = cleanup.run((m) => reports.push(`one: ${m}`));
    const two = cleanup.run((m) => reports.push(`two: ${m}`));
    expect(two).toBe(one);
    release();
    await Promise.all([one, two]);
    await cleanup.run(() => {});
    expect(calls).toEqual(['slow', 'first']);
    expect(reports).toEqual([]);
  });

  it('reports a failing task by name and still runs the others', async () => {
    const ran: string[] = [];
    const reports: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add('close the clients', async () => void ran.push('clients'));
    cleanup.add('terminate the instance', async () => {
      throw new Error('UnauthorizedOperation');
    });
    cleanup.add('delete the staged run', async () => {
      throw 'not an Error';
    });
    await expect(cleanup.run((message) => reports.push(message))).resolves.toBeUndefined();
    expect(ran).toEqual(['clients']);
    expect(reports).toEqual([
      'Cleanup step "delete the staged run" failed: not an Error',
      'Cleanup step "terminate the instance" failed: UnauthorizedOperation',
    ]);
  });
});

describe('waitsFor', () => {
  it.each([
    [60, 60, 30],
    [600, 120, 60],
    [1800, 360, 180],
    [3600, 600, 360],
    [7200, 600, 720],
    [21600, 600, 900],
  ])('a budget of %d s waits %d s for SSM and %d s for the lock', (budget, online, lock) => {
    expect(waitsFor(budget, {})).toEqual({ onlineSeconds: online, lockSeconds: lock });
  });

  it("takes the caller's waits, each on its own", () => {
    expect(waitsFor(3600, { waits: { onlineSeconds: 5, lockSeconds: 7 } })).toEqual({
      onlineSeconds: 5,
      lockSeconds: 7,
    });
    expect(waitsFor(3600, { waits: { lockSeconds: 7 } })).toEqual({ onlineSeconds: 600, lockSeconds: 7 });
    expect(waitsFor(3600, { waits: { onlineSeconds: 0 } })).toEqual({ onlineSeconds: 0, lockSeconds: 360 });
  });
});

describe('throwIfCancelled', () => {
  it('throws a RunCancelled with the reason once the signal is aborted', () => {
    const controller = new AbortController();
    expect(() => throwIfCancelled({ signal: controller.signal })).not.toThrow();
    expect(() => throwIfCancelled({})).not.toThrow();
    controller.abort('SIGTERM');
    expect(() => throwIfCancelled({ signal: controller.signal })).toThrow(RunCancelled);
    expect(() => throwIfCancelled({ signal: controller.signal })).toThrow(
      'The run was cancelled (SIGTERM); what it had started was cleaned up.',
    );
  });
});

describe('timed', () => {
  it('adds the time of the work to its phase, also when the work fails', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] });
    const stats = emptyStats();
    stats.seconds.stage = 1.5;
    expect(
      await timed(stats, 'stage', async () => {
        vi.setSystemTime(2250);
        return 'done';
      }),
    ).toBe('done');
    expect(stats.seconds.stage).toBe(3.75);
    await expect(
      timed(stats, 'remote', async () => {
        vi.setSystemTime(2250 + 1001);
        throw new Error('agent failed');
      }),
    ).rejects.toThrow('agent failed');
    expect(stats.seconds.remote).toBe(1.001);
    expect(stats.seconds.plan).toBe(0);
  });
});
