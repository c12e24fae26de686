import type { AgentResult } from './model.js';
import type { TargetPlan } from './planning.js';
import type { Stats, TargetReport } from './result.js';
import type { RunContext } from './run-context.js';
/** Per-target counts of a plan, and the run's totals added into `stats`. */
export declare function reportTargets(plans: TargetPlan[], deleteGone: boolean, stats: Stats, status: (plan: TargetPlan) => TargetReport['status'], releaseId: (plan: TargetPlan) => string): TargetReport[];
/** Records what each target now serves; written only after the agent reported success. */
export declare function writeStates(ctx: RunContext, plans: TargetPlan[], result: AgentResult, releaseIds: Record<string, string>): Promise<void>;
