/**
 * What the main step records for the post step, and the run's teardown reads: how to get credentials again, and
 * the id of every resource the moment it exists. Never a secret. A typed set, so that a misspelt key fails to compile.
 */
export declare const STATE_KEYS: readonly ["region", "roleToAssume", "roleSessionName", "roleDurationSeconds", "audience", "instanceId", "warmInstanceId", "commandId", "stagingBucket", "runPrefix", "runId"];
export type StateKey = (typeof STATE_KEYS)[number];
/** The recorded values; a key absent (or saved empty) means there is nothing of that kind. */
export type RunRecord = Partial<Record<StateKey, string>>;
