/** The engine's Reporter on a runner: folded log groups and warning annotations. */
import * as core from '@actions/core';
import type { Reporter } from '../core/reporter.js';

export const actionReporter: Reporter = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  group: (title, work) => core.group(title, work),
  secret: (value) => core.setSecret(value),
};
