// Every source file stays small enough to read in one sitting.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './support/layers.ts';
import { ROOT } from './support/repo.ts';

const MAX_LINES = 300;
const SRC = path.join(ROOT, 'src');

/** The lines of a text as an editor counts them: a final newline does not start another line. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('src/', () => {
  it(`has no file over ${MAX_LINES} lines`, () => {
    const offenders = sourceFiles(SRC)
      .map((file) => ({ file, lines: lineCount(fs.readFileSync(path.join(SRC, file), 'utf8')) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `src/${file}: ${lines} lines`);
    expect(offenders).toEqual([]);
  });
});

describe('lineCount', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\nb\n', 2],
    ['\n', 1],
  ])('%j has %d line(s)', (text, lines) => {
    expect(lineCount(text)).toBe(lines);
  });
});
