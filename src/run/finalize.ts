/** After the plan or the job: the new published state of each target, and the run's result. */

import { targetPaths } from '../config/targets.js';
import type { Config } from '../config/types.js';
import type { PublishedState } from '../core/published.js';
import type { Stats, SyncResult, TargetReport } from '../core/result.js';
import { type Place, placeRoot, stateKey } from '../plan/place.js';
import { writePublishedState } from '../plan/state.js';
import { describeTargetPlan, type TargetPlan } from '../plan/target-plan.js';
import type { RunContext } from '../remote/context.js';
import type { ExecutedOn, Execution } from '../remote/executor.js';
import type { Preflight } from '../remote/preflight/preflight.js';
import type { AgentResult } from '../remote/protocol.js';

const sum = (files: { size: number }[]) => files.reduce((total, f) => total + f.size, 0);

/** Per-target counts of a plan, and the run's totals added into `stats`. */
export function reportTargets(
  plans: TargetPlan[],
  deleteGone: boolean,
  stats: Stats,
  status: (plan: TargetPlan) => TargetReport['status'],
  releaseId: (plan: TargetPlan) => string,
): TargetReport[] {
  return plans.map((plan) => {
    const { add, modify, delete: gone } = plan.changes;
    const deletedBytes = sum((plan.previous?.tree.files ?? []).filter((f) => gone.includes(f.path)));
    const report: TargetReport = {
      kind: plan.kind,
      target: plan.target,
      status: status(plan),
      releaseId: releaseId(plan),
      files: { added: add.length, changed: modify.length, deleted: deleteGone ? gone.length : 0 },
      bytes: { added: sum(add), changed: sum(modify), deleted: deleteGone ? deletedBytes : 0 },
    };
    if (!plan.unchanged) {
      for (const key of ['added', 'changed', 'deleted'] as const) {
        stats.files[key] += report.files[key];
        stats.bytes[key] += report.bytes[key];
      }
    }
    return report;
  });
}

/** Records what each target now serves at this place; written only after the agent reported success. */
export async function writeStates(
  ctx: RunContext,
  place: Place,
  plans: TargetPlan[],
  result: AgentResult,
  releaseIds: Record<string, string>,
): Promise<void> {
  for (const plan of plans) {
    const outcome = result.targets.find((t) => t.target === plan.target);
    if (!outcome) continue;
    const state: PublishedState = {
      version: 1,
      fileSystemId: place.fileSystemId,
      root: placeRoot(place.root),
      target: plan.target,
      kind: plan.kind,
      releaseId: outcome.releaseId || releaseIds[plan.target] || '',
      publishedAt: new Date().toISOString(),
      ...(plan.key !== undefined && outcome.status === 'published' && { key: plan.key }),
      tree: outcome.status === 'rolled-back' ? (outcome.tree ?? { files: [], dirs: [] }) : plan.tree,
    };
    const key = stateKey(ctx.config.staging.prefix, place, plan.target);
    await writePublishedState(ctx.clients.s3, ctx.bucket, key, state);
    // The agent built on the legacy state only where this place serves its release (plan/place.ts), so the new
    // state, now at the place's key, is the one the next run plans against.
    if (plan.carriedFrom)
      ctx.reporter.info(
        `${plan.target}: state carried over from s3://${ctx.bucket}/${plan.carriedFrom} to s3://${ctx.bucket}/${key}.`,
      );
  }
}

/** What every result of a run states, whether or not it executed anything: paths, stats, the plan, the Lambda side. */
export function resultBase(config: Config, checked: Preflight, stats: Stats, plans: TargetPlan[]) {
  return {
    deleteGone: config.delete,
    paths: targetPaths(config, checked.accessPointRoot),
    stats,
    plan: plans.map((p) => describeTargetPlan(p, config.delete)),
    lambda: {
      mountPath: config.fileSystem.lambdaMountPath,
      ...(checked.accessPointArn && { accessPointArn: checked.accessPointArn }),
    },
  };
}
type Base = ReturnType<typeof resultBase>;

const servedId = (p: TargetPlan) => p.previous?.releaseId ?? '';

/** The result of a dry run, or of one with nothing to do: each target unchanged or planned. */
export function plannedResult({ deleteGone, ...base }: Base, plans: TargetPlan[]): SyncResult {
  const status = (p: TargetPlan) => (p.unchanged ? 'unchanged' : 'planned');
  const targets = reportTargets(plans, deleteGone, base.stats, status, servedId);
  return { changed: false, releaseIds: releaseIdsOf(targets), targets, ...base };
}

/** The result of an executed job: each target as the agent left it, and where the job ran. */
export function executedResult(
  { deleteGone, ...base }: Base,
  plans: TargetPlan[],
  execution: Execution,
  ranOn: ExecutedOn,
): SyncResult {
  base.stats.bytes.uploaded = execution.bytesUploaded;
  const byTarget = new Map(execution.result.targets.map((t) => [t.target, t]));
  const status = (p: TargetPlan) => {
    const agent = byTarget.get(p.target)?.status;
    return agent === 'rolled-back' ? 'rolled-back' : agent ? 'published' : 'unchanged';
  };
  const releaseId = (p: TargetPlan) => byTarget.get(p.target)?.releaseId || servedId(p);
  const targets = reportTargets(plans, deleteGone, base.stats, status, releaseId);
  return { changed: true, ...ranOn, releaseIds: releaseIdsOf(targets), targets, ...base };
}

function releaseIdsOf(targets: { target: string; releaseId: string }[]): Record<string, string> {
  return Object.fromEntries(targets.filter((t) => t.releaseId).map((t) => [t.target, t.releaseId]));
}
