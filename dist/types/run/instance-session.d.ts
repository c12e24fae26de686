import type { PreflightResult } from '../aws/preflight.js';
import type { Staying } from '../aws/remote.js';
import type { InstanceSource } from '../core/result.js';
import { type RunContext } from './run-context.js';
export declare class InstanceSession {
    id: string | undefined;
    source: InstanceSource;
    warmUntil: string | undefined;
    private ready;
    private readonly ctx;
    private readonly preflight;
    private readonly scratchBytes;
    /** `scratchBytes`: what the agent keeps on the instance's disk at most (job-manifest.ts, scratchBytes). */
    constructor(ctx: RunContext, preflight: PreflightResult, scratchBytes?: number);
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
