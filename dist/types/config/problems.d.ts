import { EfsyncError } from '../core/errors.js';
/** Input problems are collected, not thrown one by one, so a user fixes all of them in one round. */
export interface Problem {
    /** Where the value came from, e.g. "input 'python-version'" or "'python_version' in efsync.yaml". */
    label: string;
    message: string;
}
export declare class ConfigError extends EfsyncError {
    readonly problems: readonly Problem[];
    constructor(problems: readonly Problem[]);
}
export declare class Problems {
    readonly list: Problem[];
    add(label: string, message: string): void;
    /** Throws one ConfigError naming every problem found, if any. */
    throwIfAny(): void;
}
/** Quotes a user's value for a message, cut short so that a pasted blob cannot flood the log. */
export declare function quote(value: string): string;
