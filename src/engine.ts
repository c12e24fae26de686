/**
 * The one engine behind the action, the CLI and the API: validate, plan, and (as the sync engine lands) stage,
 * run and report. The caller supplies only a Config and a Reporter.
 */
import { labelFor } from './config/inputs.js';
import type { Config } from './config/types.js';
import { validateConfig } from './config/validate.js';
import { type TargetPath, targetPaths } from './paths.js';
import { describePlan } from './plan.js';
import { type Reporter, silentReporter } from './report.js';

export const PHASES = ['plan', 'stage', 'instance', 'remote', 'cleanup'] as const;
export type Phase = (typeof PHASES)[number];

export interface Counts {
  added: number;
  changed: number;
  deleted: number;
}

export interface Stats {
  files: Counts;
  bytes: Counts & { uploaded: number };
  seconds: Record<Phase, number>;
}

export interface SyncResult {
  /** True when a new release was published. */
  changed: boolean;
  instanceId?: string;
  paths: TargetPath[];
  /** Release id serving each target, by target. */
  releaseIds: Record<string, string>;
  stats: Stats;
  /** The plan, as the lines that were printed. */
  plan: string[];
}

export class EngineUnavailableError extends Error {
  constructor() {
    super(
      'This version of efsync can only plan: run it with dry-run: true (--dry-run for the CLI, dryRun for the API). ' +
        'Publishing arrives with the sync engine.',
    );
    this.name = 'EngineUnavailableError';
  }
}

export function emptyStats(): Stats {
  const seconds = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Record<Phase, number>;
  return {
    files: { added: 0, changed: 0, deleted: 0 },
    bytes: { added: 0, changed: 0, deleted: 0, uploaded: 0 },
    seconds,
  };
}

/** Runs one configuration. A Config built by hand is validated here too, before anything touches AWS. */
export async function sync(config: Config, reporter: Reporter = silentReporter): Promise<SyncResult> {
  const warnings = validateConfig(config, (name) => labelFor(name, 'option'));
  for (const warning of warnings) reporter.warning(warning);
  const started = Date.now();
  const plan = await reporter.group('Plan', async () => {
    const lines = describePlan(config);
    for (const line of lines) reporter.info(line);
    return lines;
  });
  const stats = emptyStats();
  stats.seconds.plan = (Date.now() - started) / 1000;
  if (!config.dryRun) throw new EngineUnavailableError();
  return { changed: false, paths: targetPaths(config), releaseIds: {}, stats, plan };
}
