/**
 * Carries out a job on the run's instance: stages the changed bytes and the job, runs the agent on the instance, and
 * reads its result back from staging (so the 24,000-character SSM output cap never hides it). A warm instance that
 * vanished before the command reached it is replaced once, here.
 */
import type { TargetPlan } from '../../plan/target-plan.js';
import { type RunContext } from '../context.js';
import type { Execution } from '../executor.js';
import type { JobAction } from '../job.js';
import type { Preflight } from '../preflight/preflight.js';
import { type AgentResult } from '../protocol.js';
import type { InstanceSession } from './session.js';
import { type RemoteOutcome } from './ssm.js';
export declare function executeOnInstance(ctx: RunContext, preflight: Preflight, plans: TargetPlan[], instance: InstanceSession, action: JobAction): Promise<Execution>;
/**
 * A result counts only when SSM agrees with it: "ok" needs the command Success with exit 0, a base mismatch the
 * agent's own exit code for it. Anything that can write the staging prefix can write a result.json, but only the
 * agent that ran the command sets its status and exit code (GetCommandInvocation's Status and ResponseCode).
 */
export declare function commandDisagrees(result: AgentResult, outcome: Pick<RemoteOutcome, 'status' | 'responseCode'>): string | undefined;
