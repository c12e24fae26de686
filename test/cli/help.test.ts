// `efsync --help` is action.yml in words: every input, with its description and default, in action.yml's groups
// (the order of the README's inputs table), and the exit codes the command uses, which the README lists too.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closestFlag, EXIT_CODES, helpText, inputGroups, readActionYml, wrap } from '../../src/cli/help.js';
import { main } from '../../src/cli/main.js';
import { INPUT_NAMES } from '../../src/config/inputs.js';
import { SIGNAL_EXIT_CODES } from '../../src/run/signals.js';
import { capture } from '../support/console.ts';
import { actionYml, ROOT, readmeTable } from '../support/repo.ts';

afterEach(() => vi.restoreAllMocks());

async function help(): Promise<string> {
  const { out } = capture();
  expect(await main(['--help'])).toBe(0);
  return out.join('\n');
}

/** The rows of the README's exit-code table: `| code | meaning |` after its `| Exit code |` header. */
function readmeExitCodes(): [number, string][] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.split('\n| Exit code |')[1]?.split('\n\n')[0] ?? '';
  return [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((match) => [Number(match[1]), match[2] ?? '']);
}

/** Help text with its wrapping undone: every run of spaces and newlines is one space. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('efsync --help', () => {
  it('shows every input of action.yml as a flag, with its whole description and its default', async () => {
    const text = await help();
    const inputs = Object.entries(actionYml().inputs);
    expect(inputs.length).toBeGreaterThan(20);
    for (const [name, input] of inputs) {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`  --${name} `));
      expect(line, name).toBeDefined();
      if (input.default) expect(line, name).toContain(`(default: ${input.default})`);
      else expect(line, name).not.toContain('default');
      const description = flat(input.description).trim();
      expect(description.length, name).toBeGreaterThan(10);
      expect(flat(text), name).toContain(`${flat(line ?? '')} ${description}`);
    }
  });

  it('has a flag for every input the command parses, and no other', () => {
    expect(inputGroups(readActionYml() ?? '').flatMap((group) => group.inputs.map((input) => input.name))).toEqual(
      Object.keys(actionYml().inputs),
    );
    expect(new Set(INPUT_NAMES)).toEqual(new Set(Object.keys(actionYml().inputs)));
  });

  it("groups the flags under action.yml's comments, in the order of the README's inputs table", async () => {
    const text = await help();
    const titles = [...fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8').matchAll(/^ {2}# (.+)$/gm)].map((match) =>
      (match[1] ?? '').replace(/\.$/, ':'),
    );
    expect(titles.length).toBeGreaterThanOrEqual(5);
    for (const title of titles) expect(text.split('\n')).toContain(title);
    const flagOrder = [...text.matchAll(/^ {2}--([a-z0-9-]+) /gm)].map((match) => match[1]);
    expect(flagOrder).toEqual(readmeTable('Inputs').map((row) => row[0]));
  });

  it('lists the exit codes the command returns, and the README lists the same', async () => {
    const text = await help();
    const codes = EXIT_CODES.map(([code]) => code);
    expect(codes).toEqual(expect.arrayContaining([0, 1, 2, ...Object.values(SIGNAL_EXIT_CODES)]));
    for (const [code] of EXIT_CODES) expect(text).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
    expect(readmeExitCodes()).toEqual(EXIT_CODES.map(([code, meaning]) => [code, meaning]));
  });

  it('keeps every line within 100 columns', async () => {
    for (const line of (await help()).split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('still lists the flags and defaults when action.yml is missing beside the code', () => {
    const text = helpText(undefined);
    expect(text).toContain('action.yml, which is missing');
    for (const name of INPUT_NAMES) expect(text).toContain(`  --${name} `);
  });
});

describe('closestFlag', () => {
  it('guesses a shortened, lengthened or mistyped flag, and nothing for a stranger', () => {
    expect(closestFlag('--file-system')).toBe('--file-system-id');
    expect(closestFlag('--dryrun')).toBe('--dry-run');
    expect(closestFlag('--reqirements')).toBe('--requirements');
    expect(closestFlag('--bucket-of-things')).toBeUndefined();
  });
});

describe('wrap', () => {
  it('breaks between words within the width', () => {
    expect(wrap('aaa bbb ccc', '  ', 9)).toEqual(['  aaa bbb', '  ccc']);
  });
});
