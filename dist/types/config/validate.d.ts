/**
 * What the values of a typed Config mean: AWS id shapes, ranges, runtimes, paths and targets. Pure: the clock
 * and the labels are passed in, so the same rules serve the action, the CLI and the API.
 */
import type { InputName } from './inputs.js';
import { Problems } from './problems.js';
import type { Config } from './types.js';
export type Labels = (name: InputName) => string;
/** Whether this Config passed validateConfig as it is now. */
export declare function isValidated(config: Config): boolean;
/** Returns the warnings a valid Config deserves; throws a ConfigError that lists every problem. */
export declare function validateConfig(config: Config, label: Labels, today?: Date, problems?: Problems): string[];
/** keep-warm's upper bound: 12 hours. */
export declare const MAX_KEEP_WARM_MINUTES = 720;
