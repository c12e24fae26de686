/**
 * Strict readers for scalar inputs. Each returns undefined after recording a problem, so that parsing goes on
 * and every bad input is reported at once.
 */
import { type Problems } from './problems.js';
/** true or false for a YAML 1.2 boolean spelling, else undefined. */
export declare function booleanValue(value: string): boolean | undefined;
export declare function readBoolean(problems: Problems, label: string, value: string): boolean | undefined;
/** `auto`, or a boolean in a YAML 1.2 spelling. */
export declare function readAutoBoolean(problems: Problems, label: string, value: string): 'auto' | boolean | undefined;
export declare function readInteger(problems: Problems, label: string, value: string): number | undefined;
export declare function readChoice<T extends string>(problems: Problems, label: string, value: string, choices: readonly T[]): T | undefined;
/** A list written with commas, newlines or both; blanks are dropped. */
export declare function readList(value: string): string[];
export declare function checkRange(problems: Problems, label: string, value: number, min: number, max: number): void;
