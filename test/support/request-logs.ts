// Where e2e files keep their request logs for the least-privilege check: one folder per checkout, emptied when a
// test run starts (vitest's globalSetup), so neither another checkout's nor an earlier run's calls count.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from './hash.ts';
import { ROOT } from './repo.ts';

export const REQUEST_LOG_DIR = path.join(os.tmpdir(), `efsync-e2e-request-logs-${sha256(ROOT).slice(0, 12)}`);

/** vitest's globalSetup: a run starts with no saved request logs. */
export default function setup(): void {
  fs.rmSync(REQUEST_LOG_DIR, { recursive: true, force: true });
}
