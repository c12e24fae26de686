/**
 * The one teardown of a run, from what it recorded: cancel the command, terminate the instance unless another run is
 * using it (a warm instance shared by runs, in-use.ts), and any instance
 * tagged with the run whose id was never learned), delete the staged run. Main's finally, the cancellation of a run
 * and the post step all call it. Idempotent: each resource is checked before acting, and one step failing does not
 * stop the next; a failure is a warning, never the run's error.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Reporter } from '../core/reporter.js';
import type { RunRecord, StateKey } from '../core/state-keys.js';
/**
 * `forget`: drops a key from what the post step will see (the instance left to another run must not be terminated by
 * this run's post step later, when that run may have put it back warm).
 */
export declare function teardown(clients: AwsClients, record: RunRecord, reporter: Reporter, forget?: (key: StateKey) => void): Promise<void>;
