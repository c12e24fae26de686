/**
 * What the engine does around a run before and after its work: the interpreter for .pyc, signing in, the run's
 * context (its id, budget, teardown), and cancellation. The engine (engine.ts) reads top-down over these.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { Stats } from '../core/result.js';
import { type Interpreter } from '../plan/bytecode.js';
import { type Cleanup, type RunContext, type RunHooks } from '../remote/context.js';
import { teardown } from './teardown.js';
/** The interpreter that writes the dependencies' .pyc, found (or refused, for compile: true) before any AWS call. */
export declare function bytecodeCompiler(config: Config, reporter: Reporter): Promise<Interpreter | undefined>;
export declare function signIn(config: Config, reporter: Reporter, hooks: RunHooks): Promise<AwsClients>;
/** A run's context; its teardown (`tear`) is the first thing its cleanup is given. */
export declare function newRun(config: Config, reporter: Reporter, hooks: RunHooks, clients: AwsClients, cleanup: Cleanup, stats: Stats, tear?: typeof teardown): RunContext;
/**
 * Runs `work` until it ends or the caller's signal aborts. On abort the run's cleanup (its teardown) runs at once,
 * and the run rejects with a RunCancelled once that is done, whatever `work` was waiting for.
 */
export declare function untilCancelled<T>(hooks: RunHooks, cleanup: Cleanup, reporter: Reporter, work: () => Promise<T>): Promise<T>;
