import type { Config } from '../config/types.js';
import { type Reporter } from '../core/reporter.js';
import { type SyncResult } from '../core/result.js';
import { type RunHooks } from './run-context.js';
/** Runs one configuration. A Config not from loadConfig (built or changed by hand) is validated here first. */
export declare function sync(config: Config, reporter?: Reporter, hooks?: RunHooks): Promise<SyncResult>;
