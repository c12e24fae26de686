// Whether another run is using a warm instance (src/remote/instance/in-use.ts): a command of another run still at work on it, or
// a run that reused it and has not sent its command yet; never this run's own command, never a run that has ended.
import { describe, expect, it } from 'vitest';
import { otherUser } from '../../../src/remote/instance/in-use.js';
import { commandComment } from '../../../src/remote/instance/tags.js';

const RUN = '123-20261201T120000Z-aaaaaa';
const OTHER = '124-20261201T120100Z-bbbbbb';
const warm = { 'efsync:warm-until': '2026-12-01T12:30:00.000Z', 'efsync:last-run': RUN };

describe('otherUser', () => {
  it('sees another run whose command is Pending, InProgress, Delayed or Cancelling on the instance', () => {
    for (const Status of ['Pending', 'InProgress', 'Delayed', 'Cancelling']) {
      const why = otherUser(RUN, warm, [{ CommandId: 'c-2', Comment: commandComment(OTHER), Status }]);
      expect(why).toBe(`command c-2 (efsync ${OTHER}) is ${Status} on it`);
    }
  });

  it("ignores this run's own command, commands that have ended, and an instance nobody else can have found", () => {
    const own = { CommandId: 'c-1', Comment: commandComment(RUN), Status: 'InProgress' };
    const ended = { CommandId: 'c-2', Comment: commandComment(OTHER), Status: 'Success' };
    expect(otherUser(RUN, warm, [own, ended])).toBeUndefined();
    const busy = { CommandId: 'c-3', Comment: commandComment(OTHER), Status: 'InProgress' };
    expect(otherUser(RUN, {}, [busy])).toBeUndefined();
  });

  it('sees a run that reused the instance after this one and has no command on it yet, and not once it has one', () => {
    const tags = { ...warm, 'efsync:last-run': OTHER };
    expect(otherUser(RUN, tags, [])).toBe(`run ${OTHER} reused it and has not sent its command yet`);
    expect(otherUser(RUN, tags, [{ CommandId: 'c-2', Comment: commandComment(OTHER), Status: 'Failed' }])).toBe(
      undefined,
    );
  });
});
