import type { InstanceSource } from '../../core/result.js';
import { type RunContext } from '../context.js';
import { type Preflight } from '../preflight/preflight.js';
import { type LaunchPlan } from './launch.js';
import type { Staying } from './ssm.js';
export declare class InstanceSession {
    id: string | undefined;
    source: InstanceSource;
    warmUntil: string | undefined;
    private ready;
    private readonly ctx;
    private readonly checked;
    private readonly plan;
    /** What the agent keeps on the instance's disk at most with this concurrency (remote/job.ts, scratchBytes). */
    private readonly scratchBytes;
    /** The agent's concurrency on the instance, once it is known whether one is reused (and of which type). */
    private readonly chosen;
    private settle;
    private concurrencyChosen;
    /** This run's lease on the instance's dead-man switch (switch.ts): hex, one per run. */
    private readonly lease;
    constructor(ctx: RunContext, checked: Preflight, plan: LaunchPlan, scratchBytes: (concurrency: number) => number);
    /**
     * The agent's concurrency for the job: the reused instance's type decides it, else the launch's sizing. Resolves as
     * soon as the choice between reusing and launching is made, before any launch.
     */
    concurrency(): Promise<number>;
    private get keepWarmMs();
    private log;
    /** Starts finding or launching an instance if not started; resolves once SSM has it Online. */
    start(): Promise<string>;
    private choose;
    private reuse;
    private launch;
    /**
     * Right before the command is sent: from now on a reused instance may be left suspect, so the teardown
     * terminates it unless the run puts it back warm.
     */
    beforeSend(): void;
    /** What the command does about the dead-man switch and what it leaves behind (ssm.ts, Staying). */
    staying(): Staying | undefined;
    /** For a reused instance only: InvalidInstanceId this long means it vanished. */
    vanishAfterMs(): number | undefined;
    /** The reused instance vanished before the command reached it: launch one instead (it is terminated if it runs). */
    relaunch(why: string): Promise<string>;
    /**
     * After the agent succeeded with keep-warm: the instance stays running until warm-until (its switch was re-armed
     * by the command), and the teardown leaves it. Tagging failing leaves it recorded, so it is terminated.
     */
    keepWarm(): Promise<void>;
}
