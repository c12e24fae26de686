import type { Config } from '../config/types.js';
import { type Reporter } from '../core/reporter.js';
import { type SyncResult } from '../core/result.js';
import { type RunHooks } from '../remote/context.js';
import { type OpenExecutor } from '../remote/executor.js';
import { preflight } from '../remote/preflight/preflight.js';
import { sweep } from '../remote/sweep.js';
import { teardown } from '../remote/teardown.js';
import { writeStates } from './finalize.js';
import { planTargets, rollbackPlans } from './plan-targets.js';
import { signIn } from './setup.js';
/** The steps the engine takes, each its own module: a unit test replaces the ones that would reach AWS. */
export declare const PARTS: {
    signIn: typeof signIn;
    preflight: typeof preflight;
    planTargets: typeof planTargets;
    rollbackPlans: typeof rollbackPlans;
    openExecutor: OpenExecutor;
    writeStates: typeof writeStates;
    teardown: typeof teardown;
    sweep: typeof sweep;
};
export type Parts = typeof PARTS;
/** Runs one configuration. A Config not from loadConfig (built or changed by hand) is validated here first. */
export declare function sync(config: Config, reporter?: Reporter, hooks?: RunHooks): Promise<SyncResult>;
export declare function runWith(parts: Parts, config: Config, reporter: Reporter, hooks: RunHooks): Promise<SyncResult>;
