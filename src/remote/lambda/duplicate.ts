/**
 * A job delivered twice: the SDK tried an invocation again after its connection broke ("For functions with a long
 * timeout, your client might disconnect during synchronous invocation while it waits for a response", Lambda's Invoke
 * documentation), and the function ran it again. The later delivery finds the first one's claim and answers
 * `duplicate` at once (agent/efsync_agent/claim.py), while the first may still be carrying the job out: its result is
 * what counts, so the run waits for it in staging, following its log, for as long as the first delivery can last.
 */
import { delay } from '../../core/async.js';
import type { WriterAnswer } from './invoke.js';

/** How often staging is read for the first delivery's result. */
const POLL_MS = 2000;

/** Whether the function answered that an earlier delivery of the job claimed it. */
export function isDuplicate(answer: WriterAnswer): boolean {
  if (answer.kind !== 'returned') return false;
  try {
    const payload: unknown = JSON.parse(answer.payload);
    return typeof payload === 'object' && payload !== null && (payload as { duplicate?: unknown }).duplicate === true;
  } catch {
    return false;
  }
}

/**
 * Waits until the first delivery's result is in staging, or until `endsAt` (ms since the epoch: when the first
 * delivery, which began before the run's first attempt, has been stopped at its timeout at the latest).
 */
export async function awaitFirstDelivery(
  hasResult: () => Promise<boolean>,
  endsAt: number,
  throwIfCancelled: () => void,
): Promise<void> {
  for (;;) {
    throwIfCancelled();
    if (await hasResult()) return;
    if (Date.now() >= endsAt) return;
    await delay(Math.min(POLL_MS, Math.max(0, endsAt - Date.now())));
  }
}
