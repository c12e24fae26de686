/**
 * What the main step records for the post step, and the run's teardown reads: how to get credentials again, and
 * the id of every resource the moment it exists. Never a secret. A typed set, so that a misspelt key fails to compile.
 */
export const STATE_KEYS = [
  'region',
  'roleToAssume',
  'roleSessionName',
  'roleDurationSeconds',
  'audience',
  'instanceId',
  /** A warm instance the run leaves running: the teardown never terminates it. */
  'warmInstanceId',
  'commandId',
  'stagingBucket',
  'runPrefix',
  'runId',
] as const;
export type StateKey = (typeof STATE_KEYS)[number];

/** The recorded values; a key absent (or saved empty) means there is nothing of that kind. */
export type RunRecord = Partial<Record<StateKey, string>>;
