import { type InputValues, type LabelStyle } from './inputs.js';
import type { Config } from './types.js';
export interface LoadOptions {
    /** What the user set; anything left out takes the efsync.yaml key, then the default. */
    inputs: InputValues;
    style: LabelStyle;
    workspace: string;
    env: Readonly<Record<string, string | undefined>>;
    today?: Date;
    /** Where no named profiles exist (a runner): an efsync.yaml's aws_profile is noted and left out. */
    ignoreProfile?: boolean;
}
export interface LoadedConfig {
    config: Config;
    /** Things to fix soon, e.g. a deprecated runtime: shown as warnings. */
    warnings: string[];
    /** How an efsync.yaml key was taken: shown as plain log lines. */
    notices: string[];
}
export declare function loadConfig(options: LoadOptions): LoadedConfig;
