/**
 * The only module that touches main-to-post state. Every resource id is saved the moment it exists, so the post
 * step can tear down whatever main left behind. Nothing secret is ever saved: credentials are fetched again.
 */
import * as core from '@actions/core';

export interface PostState {
  region?: string;
  /** Set once main has started: the post step then knows the run got that far. */
  started: boolean;
  instanceId?: string;
  commandId?: string;
  /** s3://bucket/prefix/ of the run's staging objects. */
  stagingRun?: string;
  roleToAssume?: string;
  roleSessionName?: string;
  audience?: string;
}

type Key = Exclude<keyof PostState, 'started'>;
const KEYS: Key[] = ['region', 'instanceId', 'commandId', 'stagingRun', 'roleToAssume', 'roleSessionName', 'audience'];

export function saveState(key: Key, value: string): void {
  core.saveState(key, value);
}

export function markStarted(): void {
  core.saveState('started', 'true');
}

export function readState(): PostState {
  const state: PostState = { started: core.getState('started') === 'true' };
  for (const key of KEYS) {
    const value = core.getState(key);
    if (value !== '') state[key] = value;
  }
  return state;
}
