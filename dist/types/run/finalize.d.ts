/** After the plan or the job: the new published state of each target, and the run's result. */
import type { Config } from '../config/types.js';
import type { Stats, SyncResult, TargetReport } from '../core/result.js';
import { type Place } from '../plan/place.js';
import { type TargetPlan } from '../plan/target-plan.js';
import type { RunContext } from '../remote/context.js';
import type { ExecutedOn, Execution } from '../remote/executor.js';
import type { Preflight } from '../remote/preflight/preflight.js';
import type { AgentResult } from '../remote/protocol.js';
/** Per-target counts of a plan, and the run's totals added into `stats`. */
export declare function reportTargets(plans: TargetPlan[], deleteGone: boolean, stats: Stats, status: (plan: TargetPlan) => TargetReport['status'], releaseId: (plan: TargetPlan) => string): TargetReport[];
/** Records what each target now serves at this place; written only after the agent reported success. */
export declare function writeStates(ctx: RunContext, place: Place, plans: TargetPlan[], result: AgentResult, releaseIds: Record<string, string>): Promise<void>;
/** What every result of a run states, whether or not it executed anything: paths, stats, the plan, the Lambda side. */
export declare function resultBase(config: Config, checked: Preflight, stats: Stats, plans: TargetPlan[]): {
    deleteGone: boolean;
    paths: import("../index.js").TargetPath[];
    stats: Stats;
    plan: string[];
    lambda: {
        accessPointArn?: string;
        mountPath: string;
    };
};
type Base = ReturnType<typeof resultBase>;
/** The result of a dry run, or of one with nothing to do: each target unchanged or planned. */
export declare function plannedResult({ deleteGone, ...base }: Base, plans: TargetPlan[]): SyncResult;
/** The result of an executed job: each target as the agent left it, and where the job ran. */
export declare function executedResult({ deleteGone, ...base }: Base, plans: TargetPlan[], execution: Execution, ranOn: ExecutedOn): SyncResult;
export {};
