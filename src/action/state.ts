/**
 * The only module that touches main-to-post state. Every resource id is saved the moment it exists, so the post
 * step can tear down whatever main left behind. Nothing secret is ever saved: the post step fetches credentials again.
 */
import * as core from '@actions/core';

export const STATE_KEYS = [
  'region',
  'roleToAssume',
  'roleSessionName',
  'roleDurationSeconds',
  'audience',
  'instanceId',
  'commandId',
  'stagingBucket',
  'runPrefix',
  'runId',
] as const;
export type StateKey = (typeof STATE_KEYS)[number];

export type PostState = { started: boolean } & Partial<Record<StateKey, string>>;

export function saveState(key: string, value: string): void {
  if ((STATE_KEYS as readonly string[]).includes(key)) core.saveState(key, value);
}

export function markStarted(): void {
  core.saveState('started', 'true');
}

export function readState(): PostState {
  const state: PostState = { started: core.getState('started') === 'true' };
  for (const key of STATE_KEYS) {
    const value = core.getState(key);
    if (value !== '') state[key] = value;
  }
  return state;
}
