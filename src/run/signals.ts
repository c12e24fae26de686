/**
 * For the adapters that own the process (the action and the CLI), never for the library: on cancellation the runner
 * sends SIGINT, then SIGTERM 7.5 s later, then kills the process 2.5 s after that. The first signal cancels the run
 * (whose teardown terminates the instance first); a second is ignored while that teardown runs.
 */
import type { Reporter } from '../core/reporter.js';

export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

export function cancelOnSignals(controller: AbortController, reporter: Reporter): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    reporter.warning(`Received ${signal}: cleaning up before exiting.`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    // A cancelled run keeps them until the process exits: a second signal arriving between the end of the teardown
    // and the exit must not kill the process before it exits 130 or 143.
    if (controller.signal.aborted) return;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
