// The unit project stays a unit project: none of its files starts the test bed, runs Python or spawns dist/.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL, BED, E2E, heavyMarkers } from './support/projects.ts';
import { ROOT } from './support/repo.ts';

function unitFiles(): string[] {
  return fs.globSync(ALL, { cwd: ROOT, exclude: [...BED, ...E2E] }).sort();
}

describe('the unit project', () => {
  it('holds the tests that mirror src/ and none that need the test bed, Python or dist/', () => {
    const files = unitFiles();
    expect(files).toContain('test/remote/teardown.test.ts');
    expect(files).not.toContain('test/e2e/sync.test.ts');
    // This file's own samples below would match.
    const offenders = files
      .filter((file) => file !== 'test/projects.test.ts')
      .flatMap((file) =>
        heavyMarkers(file, fs.readFileSync(path.join(ROOT, file), 'utf8')).map((why) => `${file} ${why}`),
      );
    expect(offenders).toEqual([]);
  });
});

describe('heavyMarkers', () => {
  it('finds the test bed, Python and the bundles', () => {
    const source = [
      "import { startLocalAws } from '../../testbed/client.ts';",
      "import { launch } from '../support/local-aws.ts';",
      "import { useStagingBed } from './stage/support.ts';",
      "import { runBundle } from '../support/run-action.ts';",
      "const v = execFileSync('python3', ['-c', 'print(1)']);",
      "spawnSync('/usr/bin/python3.12', ['x.py']);",
      "spawn(findPython39(), ['agent.py']);",
      "spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/index.js')]);",
    ].join('\n');
    expect(heavyMarkers('test/remote/new.test.ts', source)).toEqual([
      'imports testbed/client.ts',
      'imports test/support/local-aws.ts',
      'imports test/remote/stage/support.ts',
      'imports test/support/run-action.ts',
      'runs Python',
      'looks for Python',
      'runs a dist/ bundle',
    ]);
    expect(heavyMarkers('test/infra/x.test.ts', "spawnSync('cfn-lint', [TEMPLATE]);")).toEqual(['runs Python']);
  });

  it('lets pure tests be', () => {
    const source = [
      "import { describe } from 'vitest';",
      "import { load } from '../support/config.ts';",
      "import { INPUTS } from '../fixtures/inputs.ts';",
      "execFileSync('mkfifo', [fifo]);",
      "const inputs = { 'python-version': '3.12', python: '/usr/bin/python3' };",
      "expect(actionYml().runs.main).toBe('dist-like');",
    ].join('\n');
    expect(heavyMarkers('test/plan/x.test.ts', source)).toEqual([]);
  });
});
