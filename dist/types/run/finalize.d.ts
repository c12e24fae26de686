/** After the agent succeeded: the new published state of each target, and the run's report. */
import type { AgentResult } from '../core/protocol.js';
import type { Stats, TargetReport } from '../core/result.js';
import { type Place } from '../plan/place.js';
import type { TargetPlan } from '../plan/target-plan.js';
import type { RunContext } from './run-context.js';
/** Per-target counts of a plan, and the run's totals added into `stats`. */
export declare function reportTargets(plans: TargetPlan[], deleteGone: boolean, stats: Stats, status: (plan: TargetPlan) => TargetReport['status'], releaseId: (plan: TargetPlan) => string): TargetReport[];
/** Records what each target now serves at this place; written only after the agent reported success. */
export declare function writeStates(ctx: RunContext, place: Place, plans: TargetPlan[], result: AgentResult, releaseIds: Record<string, string>): Promise<void>;
