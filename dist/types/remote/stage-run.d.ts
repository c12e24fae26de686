import type { Reporter } from '../core/reporter.js';
import type { TargetPlan } from '../plan/target-plan.js';
import { type RunContext } from './context.js';
import { type JobAction } from './job.js';
import type { MountSpec, PlaceSpec, VerifyImportsJob } from './protocol.js';
export interface StagedRun {
    /** The job's bucket and key: its URL is presigned only when the command that carries it is sent. */
    job: {
        bucket: string;
        key: string;
        sha256: string;
    };
    /** Release id given to each target's job. */
    releaseIds: Record<string, string>;
    bytesUploaded: number;
}
export declare function stageRun(ctx: RunContext, 
/**
 * How the agent mounts the file system, how many downloads and writes it runs at once, and, for the writer function
 * only, the place it writes as if through the run's access point (it mounts the file system's root) and whether it
 * imports the new dependency release before the switch.
 */
onInstance: {
    mount: MountSpec;
    concurrency: number;
    place?: PlaceSpec | undefined;
    verifyImports?: VerifyImportsJob | undefined;
}, plans: TargetPlan[], action: JobAction): Promise<StagedRun>;
/** A progress line at most every 5 s: bytes done, total, rate and ETA. */
export declare function progress(reporter: Reporter, every?: number, now?: () => number): (done: number, total: number) => void;
