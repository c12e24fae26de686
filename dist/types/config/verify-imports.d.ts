/**
 * verify-imports and verify-imports-skip: what they may say, and that `true` can be kept. The check runs in the writer
 * function only (remote/lambda/imports.ts), so a run that cannot use the function cannot promise it.
 */
import type { InputName } from './inputs.js';
import { type Problems } from './problems.js';
import type { Config } from './types.js';
/** A module as `import` names it: identifiers, joined by dots for a module inside a namespace package. */
export declare const MODULE_NAME: RegExp;
export declare function checkVerifyImports(problems: Problems, label: (name: InputName) => string, config: Config): void;
