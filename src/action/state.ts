/**
 * The only module that touches main-to-post state. Every resource id is saved the moment it exists, so the post
 * step can tear down whatever main left behind. Nothing secret is ever saved: the post step fetches credentials again.
 */
import * as core from '@actions/core';
import { type RunRecord, STATE_KEYS, type StateKey } from '../core/state-keys.js';

/** Set first thing in main: a post step without it has nothing of main's to clean up. */
const STARTED = 'started';

export type PostState = { started: boolean } & RunRecord;

export function saveState(key: StateKey, value: string): void {
  core.saveState(key, value);
}

export function markStarted(): void {
  core.saveState(STARTED, 'true');
}

export function readPostState(): PostState {
  const state: PostState = { started: core.getState(STARTED) === 'true' };
  for (const key of STATE_KEYS) {
    const value = core.getState(key);
    if (value !== '') state[key] = value;
  }
  return state;
}
