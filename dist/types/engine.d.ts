import type { Config } from './config/types.js';
import { type Reporter } from './report.js';
import { type SyncResult } from './sync/result.js';
import { type RunHooks } from './sync/run-context.js';
export type { Counts, Phase, Stats, SyncResult, TargetReport } from './sync/result.js';
export { PHASES } from './sync/result.js';
export type { RunHooks } from './sync/run-context.js';
/** Runs one configuration. A Config built by hand is validated here too, before anything touches AWS. */
export declare function sync(config: Config, reporter?: Reporter, hooks?: RunHooks): Promise<SyncResult>;
