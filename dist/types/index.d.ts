/**
 * The programmatic API: `import { sync, loadConfig } from 'efsync-action'`. The same Config and engine as the
 * action and the CLI.
 */
import { type InputName } from './config/inputs.js';
import { type LoadedConfig } from './config/load.js';
export type { InputName } from './config/inputs.js';
export type { LoadedConfig } from './config/load.js';
export { ConfigError, type Problem } from './config/problems.js';
export type * from './config/types.js';
export { EfsyncError } from './core/errors.js';
export { type OutputName, outputsOf } from './core/outputs.js';
export { consoleReporter, type Reporter, silentReporter } from './core/reporter.js';
export type { Counts, Phase, Stats, SyncResult, TargetReport } from './core/result.js';
export type { TargetPath } from './core/targets.js';
export { RunCancelled, type RunHooks } from './remote/context.js';
export { sync } from './run/engine.js';
export interface LoadConfigOptions {
    /** Relative paths are resolved against it and must stay inside it. Default: the current directory. */
    workspace?: string;
    /** Where AWS_REGION and AWS_DEFAULT_REGION are read. Default: process.env. */
    env?: Readonly<Record<string, string | undefined>>;
}
/**
 * Builds a validated Config from options named like the action's inputs, e.g.
 * `loadConfig({ 'file-system-id': 'fs-…', config: 'efsync.yaml' })`. Throws a ConfigError listing every problem.
 */
export declare function loadConfig(options: Partial<Record<InputName, string | number | boolean>>, { workspace, env }?: LoadConfigOptions): LoadedConfig;
