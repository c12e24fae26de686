/** The agent that runs on the instance: agent/efsync_agent.py, shipped beside the bundles as dist/agent/. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_NAME = 'efsync_agent.py';

export function agentFile(): { source: Buffer; sha256: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/<entry>/index.js → dist/agent/; src/sync/*.ts (tests) → agent/.
  const candidates = [path.join(here, '..', 'agent', AGENT_NAME), path.join(here, '..', '..', 'agent', AGENT_NAME)];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found)
    throw new Error(
      `The agent ${AGENT_NAME} is missing beside the action's code (looked in ${candidates.join(', ')}).`,
    );
  const source = fs.readFileSync(found);
  return { source, sha256: createHash('sha256').update(source).digest('hex') };
}
