import { describe, expect, it } from 'vitest';
import { AgentResultError, parseAgentResult } from '../../src/remote/protocol.js';

/** A result as the agent writes it: one target published, one rolled back with the tree it serves now. */
const RUN = { runId: 'run-1', jobSha256: 'a'.repeat(64) };
const REAL = {
  version: 1,
  ...RUN,
  status: 'ok',
  targets: [
    {
      target: 'lib',
      status: 'published',
      releaseId: '20260304T050607Z-0a1b2c3d',
      previousReleaseId: null,
      filesWritten: 3,
      bytesWritten: 4096,
      filesLinked: 10,
      filesDeleted: 1,
      releasesPruned: ['20260101T000000Z-ffffffff'],
    },
    {
      target: 'models',
      status: 'rolled-back',
      releaseId: '20260201T000000Z-12345678',
      previousReleaseId: '20260301T000000Z-87654321',
      filesWritten: 0,
      bytesWritten: 0,
      filesLinked: 0,
      filesDeleted: 0,
      releasesPruned: [],
      tree: { files: [{ path: 'w.bin', size: 2, mode: 420 }], dirs: [] },
    },
  ],
  seconds: 12.5,
};

const text = (value: unknown) => JSON.stringify(value);
const withTarget = (change: Record<string, unknown>) => ({
  ...REAL,
  targets: [REAL.targets[0], { ...REAL.targets[1], ...change }],
});
const withoutTargetField = (field: string) => {
  const { [field]: _, ...rest } = REAL.targets[1] as Record<string, unknown>;
  return { ...REAL, targets: [REAL.targets[0], rest] };
};
const message = (problem: string) =>
  `The agent's result cannot be used: ${problem}. Its log (in the step's output) says why.`;

describe('parseAgentResult', () => {
  it('accepts a real result as it is', () => {
    expect(parseAgentResult(text(REAL), RUN)).toEqual(REAL);
    expect(parseAgentResult(text({ ...REAL, status: 'error', targets: [], error: 'lock timeout' }), RUN)).toMatchObject(
      {
        status: 'error',
        error: 'lock timeout',
      },
    );
    expect(
      parseAgentResult(text(withTarget({ status: 'base-mismatch', actualReleaseId: null })), RUN).targets[1],
    ).toMatchObject({ status: 'base-mismatch', actualReleaseId: null });
  });

  it.each([
    ['not JSON', '{"version": 1,', 'it is not JSON'],
    ['empty', '', 'it is not JSON'],
    ['an array', '[]', 'it is not a JSON object'],
    ['null', 'null', 'it is not a JSON object'],
    ['version 2', text({ ...REAL, version: 2 }), 'it has version 2, this action reads version 1'],
    ['no version', text({ ...REAL, version: undefined }), 'it has version undefined, this action reads version 1'],
    ['version "1"', text({ ...REAL, version: '1' }), 'it has version "1", this action reads version 1'],
    ['an unknown status', text({ ...REAL, status: 'done' }), 'its status is unknown'],
    ['targets not an array', text({ ...REAL, targets: {} }), 'it has no targets'],
    ['an error that is not a string', text({ ...REAL, error: { why: 'x' } }), 'its error is not a string'],
    ['no seconds', text({ ...REAL, seconds: '12' }), 'it has no seconds'],
    [
      'a target that is not an object',
      text({ ...REAL, targets: [REAL.targets[0], 'lib'] }),
      'target #1 is not an object',
    ],
    ['a target without its name', text(withoutTargetField('target')), 'target #1 has no target'],
    ['a target with an unknown status', text(withTarget({ status: 'ok' })), 'target #1 has an unknown status'],
    ['a target without releaseId', text(withTarget({ releaseId: 7 })), 'target #1 has no releaseId'],
    [
      'a malformed previousReleaseId',
      text(withTarget({ previousReleaseId: 3 })),
      'target #1 has a malformed previousReleaseId',
    ],
    [
      'a missing previousReleaseId',
      text(withoutTargetField('previousReleaseId')),
      'target #1 has a malformed previousReleaseId',
    ],
    ['no filesWritten', text(withoutTargetField('filesWritten')), 'target #1 has no filesWritten'],
    ['a bytesWritten string', text(withTarget({ bytesWritten: '4096' })), 'target #1 has no bytesWritten'],
    ['no filesLinked', text(withTarget({ filesLinked: null })), 'target #1 has no filesLinked'],
    ['no filesDeleted', text(withoutTargetField('filesDeleted')), 'target #1 has no filesDeleted'],
    ['no releasesPruned', text(withTarget({ releasesPruned: 'none' })), 'target #1 has no releasesPruned'],
    ['a tree that is not an object', text(withTarget({ tree: [] })), 'target #1 has a malformed tree'],
    ['a tree without dirs', text(withTarget({ tree: { files: [] } })), 'target #1 has a malformed tree'],
    [
      'a tree with files not a list',
      text(withTarget({ tree: { files: {}, dirs: [] } })),
      'target #1 has a malformed tree',
    ],
  ])('refuses %s', (_what, input, problem) => {
    expect(() => parseAgentResult(input, RUN)).toThrow(AgentResultError);
    expect(() => parseAgentResult(input, RUN)).toThrow(message(problem));
  });

  it('names the first bad target by its position', () => {
    const bad = {
      ...REAL,
      targets: [
        { ...REAL.targets[0], status: 'nope' },
        { ...REAL.targets[1], releaseId: 1 },
      ],
    };
    expect(() => parseAgentResult(text(bad), RUN)).toThrow(message('target #0 has an unknown status'));
  });

  it.each([
    ['another run', { runId: 'run-2' }, 'it names run "run-2" and job sha256'],
    ['another job', { jobSha256: 'b'.repeat(64) }, `job sha256 "${'b'.repeat(64)}", this run is run-1`],
    ['no run at all', { runId: null, jobSha256: null }, 'it names run null'],
    ['an ok result with no run id', { runId: undefined }, 'it names run undefined'],
  ])('refuses a result of %s', (_what, change, detail) => {
    const input = text({ ...REAL, ...change });
    expect(() => parseAgentResult(input, RUN)).toThrow(AgentResultError);
    expect(() => parseAgentResult(input, RUN)).toThrow("The agent's result is not from this run's job");
    expect(() => parseAgentResult(input, RUN)).toThrow(detail);
  });

  it('believes a failure from an agent that could not read its job (it has no run id or job hash to give)', () => {
    const failed = { ...REAL, runId: null, jobSha256: null, status: 'error', targets: [], error: 'cannot read' };
    expect(parseAgentResult(text(failed), RUN)).toMatchObject({ status: 'error', error: 'cannot read' });
  });
});
