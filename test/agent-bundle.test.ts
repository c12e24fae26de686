// dist/agent/ as committed: the agent as one zipapp, the very bytes a build of agent/ gives.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NAME, buildAgent } from '../src/remote/agent-file.js';
import { ROOT } from './support/repo.ts';

describe('dist/agent', () => {
  it('holds the agent as one zipapp, equal to a build of agent/', () => {
    expect(fs.readdirSync(path.join(ROOT, 'dist/agent'))).toEqual([AGENT_NAME]);
    expect(
      fs.readFileSync(path.join(ROOT, 'dist/agent', AGENT_NAME)).equals(buildAgent(path.join(ROOT, 'agent'))),
    ).toBe(true);
  });
});
