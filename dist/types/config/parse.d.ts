import { type InputName, type InputValue } from './inputs.js';
import { type Problems } from './problems.js';
import { type Config } from './types.js';
export interface ParseContext {
    workspace: string;
    env: Readonly<Record<string, string | undefined>>;
    /** From efsync.yaml `aws_profile`: not an action input, since a runner has no profiles. */
    profile?: string;
    configFile?: string;
}
/**
 * Parses every input. A value that cannot be read is recorded in `problems` and replaced by its default, so that
 * validation still runs over the rest and the user hears of every problem at once.
 */
export declare function parseInputs(inputs: Record<InputName, InputValue>, context: ParseContext, problems: Problems): Config;
