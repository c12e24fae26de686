import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { Stats } from '../core/result.js';
import { type Interpreter } from '../plan/bytecode.js';
import { type Cleanup, type RunContext, type RunHooks } from '../remote/context.js';
import { teardown } from '../remote/teardown.js';
/** The interpreter that writes the dependencies' .pyc, found (or refused, for compile: true) before any AWS call. */
export declare function compilerFor(config: Config, reporter: Reporter): Promise<Interpreter | undefined>;
export declare function signIn(config: Config, reporter: Reporter, hooks: RunHooks): Promise<AwsClients>;
/** Where a sync run builds its dependencies and parts: under the runner's temp directory, removed by the cleanup. */
export declare function buildDirectory(cleanup: Cleanup): string;
/** One run's setting, the same for every step. */
export interface RunSetting {
    config: Config;
    reporter: Reporter;
    hooks: RunHooks;
    stats: Stats;
    cleanup: Cleanup;
}
/** Signs in, in the log's Credentials group; the clients are closed by the run's cleanup. */
export declare function credentials(run: RunSetting, sign?: typeof signIn): Promise<AwsClients>;
/** A run's context; its teardown (`tear`) is the first thing its cleanup is given. */
export declare function newRun(run: RunSetting, clients: AwsClients, tear?: typeof teardown): RunContext;
/**
 * Runs `work` until it ends or the caller's signal aborts. On abort the run's cleanup (its teardown) runs at once,
 * and the run rejects with a RunCancelled once that is done, whatever `work` was waiting for.
 */
export declare function untilCancelled<T>(hooks: RunHooks, cleanup: Cleanup, reporter: Reporter, work: () => Promise<T>): Promise<T>;
