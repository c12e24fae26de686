// Reads the repository's own contract files: action.yml and the README's tables.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ActionYml {
  runs: { using: string; main: string; post: string };
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

export function actionYml(): ActionYml {
  return parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml;
}

/** Rows of the first Markdown table under `## heading`, as arrays of cells without their backticks. */
export function readmeTable(heading: string): string[][] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')),
    );
}
