// A result counts only when SSM's own status and exit code for the command agree with it.
import { describe, expect, it } from 'vitest';
import { commandDisagrees } from '../../../src/remote/instance/run-job.ts';
import type { AgentResult } from '../../../src/remote/protocol.ts';

const result = (status: AgentResult['status']): AgentResult => ({
  version: 1,
  runId: 'r',
  jobSha256: 'a'.repeat(64),
  status,
  targets: [],
  seconds: 1,
});

describe('commandDisagrees', () => {
  it('accepts ok with Success and exit 0', () => {
    expect(commandDisagrees(result('ok'), { status: 'Success', responseCode: 0 })).toBeUndefined();
  });

  it.each([
    ['Failed', 7],
    ['Failed', 0],
    ['Success', 1],
    ['TimedOut', -1],
    ['Cancelled', -1],
  ])('refuses ok when SSM reports %s with exit %d', (status, responseCode) => {
    const why = commandDisagrees(result('ok'), { status, responseCode });
    expect(why).toContain(`SSM reports the command ${status} with exit code ${responseCode}`);
    expect(why).toContain('Nothing is recorded as published');
  });

  it('accepts a base mismatch only with the agent’s exit code for it', () => {
    expect(commandDisagrees(result('base-mismatch'), { status: 'Failed', responseCode: 3 })).toBeUndefined();
    expect(commandDisagrees(result('base-mismatch'), { status: 'Failed', responseCode: 7 })).toMatch(/exit 3/);
    expect(commandDisagrees(result('base-mismatch'), { status: 'Success', responseCode: 0 })).toBeDefined();
  });

  it('leaves an error result to the agent’s own message', () => {
    expect(commandDisagrees(result('error'), { status: 'Failed', responseCode: 5 })).toBeUndefined();
  });
});
