// Loads a configuration the way the action does, from a named input set, in a throwaway workspace.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectInputs, type LabelStyle } from '../../src/config/inputs.js';
import { type LoadedConfig, loadConfig } from '../../src/config/load.js';
import type { Inputs } from '../fixtures/inputs.ts';

export const TODAY = new Date('2026-11-24T12:00:00Z');

export function tempWorkspace(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-ws-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export function load(
  inputs: Inputs,
  options: { workspace?: string; env?: Record<string, string>; style?: LabelStyle; today?: Date } = {},
): LoadedConfig {
  const style = options.style ?? 'input';
  return loadConfig({
    inputs: collectInputs((name) => inputs[name], style, style === 'input'),
    style,
    workspace: options.workspace ?? '/home/runner/work/repo',
    env: options.env ?? {},
    today: options.today ?? TODAY,
  });
}

/** The message of the ConfigError that loading throws; fails the test if loading succeeds. */
export function loadError(inputs: Inputs, options: Parameters<typeof load>[1] = {}): string {
  try {
    load(inputs, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}
