import { type PreflightResult } from '../aws/preflight.js';
import type { Staying } from '../aws/remote.js';
import type { InstanceSource } from '../core/result.js';
import { type RunContext } from './run-context.js';
/** What the run's sizing says an instance must be (run/size-instance.ts). */
export interface InstanceSizing {
    /** The types a warm instance may be of, with their architectures: the sized type and larger, or the listed ones. */
    reuseTypes: {
        type: string;
        architecture: string;
    }[];
    /** What the agent keeps on the instance's disk at most with this concurrency (job-manifest.ts, scratchBytes). */
    scratchBytes: (concurrency: number) => number;
}
export declare class InstanceSession {
    id: string | undefined;
    source: InstanceSource;
    warmUntil: string | undefined;
    private ready;
    private readonly ctx;
    private readonly preflight;
    private readonly sizing;
    /** The agent's concurrency on the instance, once it is known whether one is reused (and of which type). */
    private readonly chosen;
    private settle;
    private concurrencyChosen;
    /** This run's lease on the instance's dead-man switch (switch.ts): hex, one per run. */
    private readonly lease;
    constructor(ctx: RunContext, preflight: PreflightResult, sizing: InstanceSizing);
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
    /** What the command does about the dead-man switch and what it leaves behind (remote.ts, Staying). */
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
