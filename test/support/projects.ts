// The test pyramid: which test files belong to which Vitest project. vitest.config.ts builds the projects from it.
//
//   unit  every other test: no test bed, no Python, no network, no dist/. `npm run test:unit`.
//   bed   starts the local AWS test bed (testbed/: moto_server and its front) or runs Python.
//   e2e   runs the committed dist/ bundles, as a runner, a shell or an importer does.
//
// A new test file is a unit test unless it is named or placed for another project.
import path from 'node:path';
import { specifiers } from './layers.ts';

/** Spawns dist/: named *-bundle.test.ts, or in test/e2e/. */
export const E2E = ['test/e2e/**/*.test.ts', 'test/**/*-bundle.test.ts', 'testbed/**/*-bundle.test.ts'];

/** Needs the test bed or Python: named *.bed.test.ts, or in a folder that is all of that kind. */
export const BED = [
  'test/**/*.bed.test.ts',
  // The test bed's own tests, beside it.
  'testbed/**/*.test.ts',
  // The agent, run by Python against a sandboxed EFS.
  'test/agent/**/*.test.ts',
];

export const ALL = ['test/**/*.test.ts', 'testbed/**/*.test.ts'];

/** Helpers that start the test bed, run the bundles or run Python. */
const HEAVY_HELPERS = [
  // The test bed, but for its pure IAM modules (rendering the template, what AWS authorizes, IAM's evaluation), which
  // the least-privilege unit test uses without a bed.
  /^testbed\/(?!(iam-eval|iam-requests|stacks)\.ts$)/,
  /^test\/support\/(local-aws|run-action)\.ts$/,
  /^test\/remote\/stage\/support\.ts$/,
  /^test\/agent\/harness\.ts$/,
  /^test\/e2e\//,
];
/** A child process whose command is Python, or a tool that runs on it. */
const PYTHON_SPAWN =
  /\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"`](?:[^'"`]*\/)?(?:python\d*(?:\.\d+)?|pip\d*|uv|cfn-lint|moto_server)\b/;
const DIST = /['"`](?:[^'"`]*\/)?dist\/(?:main|post|cli|api|agent)\b/;

/** Why a test file (its path from the root, and its text) is no unit test; empty when it is one. */
export function heavyMarkers(file: string, source: string): string[] {
  const reasons: string[] = [];
  for (const specifier of specifiers(source)) {
    if (!specifier.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    if (HEAVY_HELPERS.some((pattern) => pattern.test(target))) reasons.push(`imports ${target}`);
  }
  if (PYTHON_SPAWN.test(source)) reasons.push('runs Python');
  if (/\bfindPython/.test(source)) reasons.push('looks for Python');
  if (DIST.test(source)) reasons.push('runs a dist/ bundle');
  return reasons;
}
