/**
 * The seam between the engine and whatever carries out a job away from the runner. The engine hands an executor the
 * plans to carry out and gets back the agent's validated result; how the job is staged, started, followed and read,
 * and on what (a launched, warm or borrowed instance today), is the executor's. A second engine is a second
 * implementation of Executor and OpenExecutor, and the engine (run/engine.ts) does not change.
 */
import { EfsyncError } from '../core/errors.js';
import type { InstanceSource } from '../core/result.js';
import type { TargetPlan } from '../plan/target-plan.js';
import type { RunContext } from './context.js';
import type { JobAction } from './job.js';
import type { Preflight } from './preflight/preflight.js';
import type { AgentResult } from './protocol.js';
/** What the engine asks for: these targets' plans carried out, as a sync or a rollback. */
export interface Work {
    action: JobAction;
    plans: TargetPlan[];
}
/** What a job came back with. */
export interface Execution {
    /** The agent's result, validated against the job it was given. */
    result: AgentResult;
    /** Release id given to each target's job. */
    releaseIds: Record<string, string>;
    bytesUploaded: number;
}
/** Where the work ran, for the run's result. */
export interface ExecutedOn {
    engine: 'lambda' | 'instance';
    /** The writer function that ran the work, when no instance did. */
    functionName?: string;
    instanceId?: string;
    instanceSource?: InstanceSource;
    warmUntil?: string;
}
/** The target serves another release than the plan was made against: someone else published in between. */
export declare class BaseMismatchError extends EfsyncError {
}
export interface Executor {
    /**
     * Stages the job, starts it, follows its log and reads its result, retrying what it can itself. Throws a
     * BaseMismatchError when a target serves another release than its plan was made against; the engine then plans
     * again and calls execute once more on the same executor.
     */
    execute(work: Work): Promise<Execution>;
    /** After an execution succeeded: keeps what may stay (a warm instance), and says where the work ran. */
    finish(): Promise<ExecutedOn>;
}
/**
 * Gets an executor for the run's work. It starts getting ready at once (an instance launching while the job is
 * staged), sized for `work` and for `planned`, every target of the plan: a re-plan may send all of their files.
 */
export type OpenExecutor = (ctx: RunContext, checked: Preflight, work: Work, planned: TargetPlan[]) => Executor;
