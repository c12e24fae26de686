import type { PreflightResult } from '../aws/preflight.js';
import type { InstanceSession } from './instance-session.js';
import type { AgentResult } from './model.js';
import type { TargetPlan } from './planning.js';
import { type RunContext } from './run-context.js';
export declare class BaseMismatchError extends Error {
    name: string;
}
export interface PublishOutcome {
    result: AgentResult;
    /** Release id given to each target's job. */
    releaseIds: Record<string, string>;
    bytesUploaded: number;
}
export declare function publish(ctx: RunContext, preflight: PreflightResult, plans: TargetPlan[], instance: InstanceSession, action: 'sync' | 'rollback'): Promise<PublishOutcome>;
/** A progress line at most every 5 s: bytes done, total, rate and ETA. */
export declare function progress(ctx: RunContext, every?: number): (done: number, total: number) => void;
