/**
 * What every engine does with the agent's validated result: a base mismatch goes back to the engine to plan again,
 * any other failure is the run's error with the end of the agent's log; only "ok" is returned.
 */
import { EfsyncError } from '../core/errors.js';
import { BaseMismatchError } from './executor.js';
import type { AgentResult } from './protocol.js';

/** The work away from the runner failed: the agent, or what carried it (SSM, the function). */
export class RemoteError extends EfsyncError {}

/** The result, when it is "ok"; otherwise the error to throw. `log` is the agent's log as far as it got. */
export function settle(result: AgentResult, log: string, failed: (error: string) => string): AgentResult {
  if (result.status === 'base-mismatch') throw new BaseMismatchError(describeMismatch(result));
  if (result.status !== 'ok') throw new RemoteError(`${failed(result.error ?? 'no error given')}\n${logTail(log)}`);
  return result;
}

function describeMismatch(result: AgentResult): string {
  const target = result.targets.find((t) => t.status === 'base-mismatch');
  return `${target?.target} serves ${target?.actualReleaseId ?? 'no release'}, not the release the plan was made against`;
}

/** The last lines of the agent's log, to close an error with. */
export function logTail(log: string, lines = 30): string {
  return `Last lines of the agent's log:\n${log.trimEnd().split('\n').slice(-lines).join('\n')}`;
}
