import { describe, expect, it } from 'vitest';
import { BaseMismatchError } from '../../../src/remote/executor.js';
import { resultOf } from '../../../src/remote/lambda/executor.js';
import { RemoteError, settle } from '../../../src/remote/outcome.js';
import type { AgentResult } from '../../../src/remote/protocol.js';

const EXPECTED = { runId: 'r1', jobSha256: 'a'.repeat(64) };
const WRITER = { name: 'efsync-writer', timeoutSeconds: 900 };
const RESULT: AgentResult = {
  version: 1,
  runId: 'r1',
  jobSha256: 'a'.repeat(64),
  status: 'ok',
  targets: [],
  seconds: 1.5,
} as unknown as AgentResult;
const none = async () => undefined;

describe('resultOf', () => {
  it("takes the agent's result from the function's own answer, checked against this run's job", async () => {
    const answer = { kind: 'returned' as const, payload: JSON.stringify(RESULT) };
    expect(await resultOf(answer, EXPECTED, WRITER, '', none)).toEqual(RESULT);
    // An answer for another job is refused, whatever it says.
    const other = { kind: 'returned' as const, payload: JSON.stringify({ ...RESULT, runId: 'r0' }) };
    await expect(resultOf(other, EXPECTED, WRITER, '', none)).rejects.toThrow(/not from this run's job/);
  });

  it('after a duplicate delivery reads the first delivery’s result from staging, or fails saying so', async () => {
    const duplicate = { kind: 'returned' as const, payload: JSON.stringify({ duplicate: true }) };
    expect(await resultOf(duplicate, EXPECTED, WRITER, '', async () => JSON.stringify(RESULT))).toEqual(RESULT);
    await expect(resultOf(duplicate, EXPECTED, WRITER, '', none)).rejects.toThrow(
      'The writer function efsync-writer got this job twice, and the first delivery has written no result.',
    );
  });

  it("reports a timeout as the function's, with the releases intact and the log's last lines", async () => {
    const answer = {
      kind: 'raised' as const,
      errorType: 'Sandbox.Timedout',
      message: 'Task timed out',
      timedOut: true,
    };
    const error = await resultOf(answer, EXPECTED, WRITER, 'one\ntwo\n', none).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toMatch(/^The writer function efsync-writer was stopped at its timeout of 900 s/);
    expect((error as Error).message).toContain('The releases it serves are as they were');
    expect((error as Error).message).toContain("Last lines of the agent's log:\none\ntwo");
    const raised = { kind: 'raised' as const, errorType: 'ValueError', message: 'bad event', timedOut: false };
    await expect(resultOf(raised, EXPECTED, WRITER, '', none)).rejects.toThrow(
      /^The writer function efsync-writer raised ValueError\. Its message: bad event/,
    );
  });
});

describe('settle', () => {
  it('returns an ok result, sends a base mismatch back to the engine, and fails on anything else', () => {
    expect(settle(RESULT, '', (e) => e)).toBe(RESULT);
    const mismatch = {
      ...RESULT,
      status: 'base-mismatch',
      targets: [{ target: 'models', status: 'base-mismatch', actualReleaseId: 'x' }],
    } as unknown as AgentResult;
    expect(() => settle(mismatch, '', (e) => e)).toThrow(BaseMismatchError);
    const failed = { ...RESULT, status: 'error', error: 'disk full' } as AgentResult;
    expect(() => settle(failed, 'log line', (e) => `The agent failed: ${e}`)).toThrow(
      "The agent failed: disk full\nLast lines of the agent's log:\nlog line",
    );
  });
});
