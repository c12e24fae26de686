/**
 * What every engine does with the agent's validated result: a base mismatch goes back to the engine to plan again,
 * any other failure is the run's error with the end of the agent's log; only "ok" is returned.
 */
import { EfsyncError } from '../core/errors.js';
import type { AgentResult } from './protocol.js';
/** The work away from the runner failed: the agent, or what carried it (SSM, the function). */
export declare class RemoteError extends EfsyncError {
}
/** The result, when it is "ok"; otherwise the error to throw. `log` is the agent's log as far as it got. */
export declare function settle(result: AgentResult, log: string, failed: (error: string) => string): AgentResult;
/** The last lines of the agent's log, to close an error with. */
export declare function logTail(log: string, lines?: number): string;
