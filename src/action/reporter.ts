/** The engine's Reporter on a runner: folded log groups and warning annotations. */
import * as core from '@actions/core';
import type { Reporter } from '../core/reporter.js';
import { writeUntrusted } from '../core/untrusted.js';

/**
 * Every plain line goes through untrusted.ts: a message that names a file, a key or quotes another program is never
 * read as a workflow command. Warnings, group titles and masks are the action's own commands, whose data
 * @actions/core escapes (`%`, `\r`, `\n`), so nothing in them can start a line of its own.
 */
const stdoutLines = (lines: readonly string[]) => writeUntrusted((text) => process.stdout.write(text), lines);

export const actionReporter: Reporter = {
  info: (message) => stdoutLines([message]),
  warning: (message) => core.warning(message),
  group: (title, work) => core.group(title, work),
  secret: (value) => core.setSecret(value),
  relay: stdoutLines,
};
