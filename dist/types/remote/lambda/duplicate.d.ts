import type { WriterAnswer } from './invoke.js';
/** Whether the function answered that an earlier delivery of the job claimed it. */
export declare function isDuplicate(answer: WriterAnswer): boolean;
/**
 * Waits until the first delivery's result is in staging, or until `endsAt` (ms since the epoch: when the first
 * delivery, which began before the run's first attempt, has been stopped at its timeout at the latest).
 */
export declare function awaitFirstDelivery(hasResult: () => Promise<boolean>, endsAt: number, throwIfCancelled: () => void): Promise<void>;
