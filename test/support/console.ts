// What a command prints: console.log (stdout) and console.error (stderr) lines, captured until vi.restoreAllMocks().
import { vi } from 'vitest';

export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  return { out, err };
}
