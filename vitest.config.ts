import { configDefaults, defineConfig } from 'vitest/config';
import { ALL, BED, E2E } from './test/support/projects.ts';

// `npm test` runs every project; `npm run test:unit` (vitest run --project unit) the fast base of the pyramid.
export default defineConfig({
  test: {
    // Both cores: the test files mostly wait on test beds and child processes, so two run well side by side.
    maxWorkers: 2,
    globalSetup: ['./test/support/request-logs.ts'],
    testTimeout: 30_000,
    // Tests that run whole actions against the test bed take longer.
    hookTimeout: 60_000,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ALL, exclude: [...configDefaults.exclude, ...BED, ...E2E] } },
      { extends: true, test: { name: 'bed', include: BED, exclude: [...configDefaults.exclude, ...E2E] } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
