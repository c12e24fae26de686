/**
 * The one teardown of a run, from what it recorded: cancel the command, terminate the instance (and any instance
 * tagged with the run whose id was never learned), delete the staged run. Main's finally, the cancellation of a run
 * and the post step all call it. Idempotent: each resource is checked before acting, and one step failing does not
 * stop the next; a failure is a warning, never the run's error.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Reporter } from '../core/reporter.js';
import type { RunRecord } from '../core/state-keys.js';
export declare function teardown(clients: AwsClients, record: RunRecord, reporter: Reporter): Promise<void>;
