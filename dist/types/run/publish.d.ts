/**
 * Publishes planned targets: stages the changed bytes and the job, runs the agent on the instance, and reads its
 * result back from staging (so the 24,000-character SSM output cap never hides it).
 */
import type { PreflightResult } from '../aws/preflight.js';
import { type RemoteOutcome } from '../aws/remote.js';
import { EfsyncError } from '../core/errors.js';
import { type AgentResult } from '../core/protocol.js';
import type { TargetPlan } from '../plan/target-plan.js';
import type { InstanceSession } from './instance-session.js';
import type { JobAction } from './job-manifest.js';
import { type RunContext } from './run-context.js';
/** The target serves another release than the plan was made against: someone else published in between. */
export declare class BaseMismatchError extends EfsyncError {
}
export interface PublishOutcome {
    result: AgentResult;
    /** Release id given to each target's job. */
    releaseIds: Record<string, string>;
    bytesUploaded: number;
    /** The command ended Success (exit 0): on an instance that stays, its dead-man switch was re-armed. */
    commandOk: boolean;
}
export declare function publish(ctx: RunContext, preflight: PreflightResult, plans: TargetPlan[], instance: InstanceSession, action: JobAction): Promise<PublishOutcome>;
/**
 * A result counts only when SSM agrees with it: "ok" needs the command Success with exit 0, a base mismatch the
 * agent's own exit code for it. Anything that can write the staging prefix can write a result.json, but only the
 * agent that ran the command sets its status and exit code (GetCommandInvocation's Status and ResponseCode).
 */
export declare function commandDisagrees(result: AgentResult, outcome: Pick<RemoteOutcome, 'status' | 'responseCode'>): string | undefined;
