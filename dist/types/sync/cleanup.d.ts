import type { RunContext } from './run-context.js';
export declare function cleanupRun(ctx: RunContext): Promise<void>;
/**
 * On cancellation the runner sends SIGINT, then SIGTERM 7.5 s later, then kills the process 2.5 s after that: clean
 * up at the first signal (terminating the instance comes first), ignore the second, and exit non-zero.
 */
export declare function installSignalHandlers(ctx: RunContext): () => void;
