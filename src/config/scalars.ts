/**
 * Strict readers for scalar inputs. Each returns undefined after recording a problem, so that parsing goes on
 * and every bad input is reported at once.
 */
import { type Problems, quote } from './problems.js';

// YAML 1.2 core schema spellings, as configure-aws-credentials accepts them.
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/** true or false for a YAML 1.2 boolean spelling, else undefined. */
export function booleanValue(value: string): boolean | undefined {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  return undefined;
}

export function readBoolean(problems: Problems, label: string, value: string): boolean | undefined {
  const parsed = booleanValue(value);
  if (parsed !== undefined) return parsed;
  problems.add(label, `${quote(value)} is not a boolean. Write true or false.`);
  return undefined;
}

/** `auto`, or a boolean in a YAML 1.2 spelling. */
export function readAutoBoolean(problems: Problems, label: string, value: string): 'auto' | boolean | undefined {
  if (value === 'auto') return 'auto';
  const parsed = booleanValue(value);
  if (parsed !== undefined) return parsed;
  problems.add(label, `${quote(value)} is not auto, true or false. Write one of them.`);
  return undefined;
}

export function readInteger(problems: Problems, label: string, value: string): number | undefined {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  problems.add(label, `${quote(value)} is not a whole number. Write digits only, e.g. 60.`);
  return undefined;
}

export function readChoice<T extends string>(
  problems: Problems,
  label: string,
  value: string,
  choices: readonly T[],
): T | undefined {
  if ((choices as readonly string[]).includes(value)) return value as T;
  problems.add(label, `${quote(value)} is not one of ${choices.join(', ')}. Write one of them.`);
  return undefined;
}

/** A list written with commas, newlines or both; blanks are dropped. */
export function readList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function checkRange(problems: Problems, label: string, value: number, min: number, max: number): void {
  if (value < min || value > max)
    problems.add(label, `${value} is out of range. Write a number from ${min} to ${max}.`);
}
