import type { PreflightResult } from '../aws/preflight.js';
import { type RunContext } from './run-context.js';
export declare class InstanceSession {
    id: string | undefined;
    private ready;
    private readonly ctx;
    private readonly preflight;
    private readonly scratchBytes;
    /** `scratchBytes`: what the agent keeps on the instance's disk at most (job-manifest.ts, scratchBytes). */
    constructor(ctx: RunContext, preflight: PreflightResult, scratchBytes?: number);
    /** Starts the launch if it has not started; resolves once SSM has the instance Online. */
    start(): Promise<string>;
    private launch;
}
