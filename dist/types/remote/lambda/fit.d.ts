/**
 * Whether the writer function can carry a run's job out, decided before anything is staged. Pure: no AWS.
 * - Its mount: Lambda mounts one access point per function (FileSystemConfigs). It writes the run's place when it
 *   mounts the run's own access point (EFS then does the rest), or the file system's root as root, from where the
 *   agent writes the place as the access point would (protocol.ts PlaceSpec). Anything else would write elsewhere, or
 *   with other owners, than an instance mounting the run's access point.
 * - Its size: a job runs in one invocation, so it must end well inside the function's timeout, and its largest staged
 *   part must fit its /tmp (the agent's capacity.py keeps fewer parts at once, never less than one).
 */
import { EfsyncError } from '../../core/errors.js';
import type { AccessPointFacts } from '../preflight/access-point.js';
import type { PlaceSpec } from '../protocol.js';
import type { WriterFunction } from './ready.js';
/** The writer function cannot carry this job out; under `engine: auto` an instance does instead. */
export declare class FunctionUnsuited extends EfsyncError {
}
/**
 * The transfer model. AWS publishes no network figure for Lambda, so the function is reckoned at one S3 download's
 * worth, 40 MiB/s (core/instance-size.ts reckons a download at half of one S3 connection's 80 MiB/s), far below EFS's
 * 500 MiB/s per client; and each file at the bench's NFS model (docs/bench.md): 2 ms per round trip, 5 per file
 * written, 2 per file linked, spread over the agent's threads; plus a cold start, about 3.4 s for a Python function
 * with VPC and EFS as measured by a third party (dev.robot.wtf, "Phase 0 EFS benchmarks", 2026-03), rounded up.
 */
export declare const MODEL: {
    bytesPerSecond: number;
    roundTripSeconds: number;
    perFile: number;
    perLink: number;
    startSeconds: number;
};
/** "Well inside" the timeout: at most this share of it, for a slow mount, a throttled file system, retries. */
export declare const TIMEOUT_SHARE: number;
export interface JobSize {
    bytes: number;
    filesWritten: number;
    filesLinked: number;
    /** The largest staged part: what /tmp must hold at least (job.ts scratchBytes with one part). */
    largestPart: number;
}
export declare function modeledSeconds(writer: Pick<WriterFunction, 'memoryMiB'>, size: JobSize): number;
/**
 * Whether the job fits: `line` says why, for the log; `unsuited` is set when it does not. Under `auto` the job must end
 * well inside the timeout; under `lambda` only what cannot work refuses it (a part larger than /tmp, a modeled time
 * over the timeout).
 */
export declare function judgeFit(writer: WriterFunction, size: JobSize, engine: 'auto' | 'lambda'): {
    line: string;
    unsuited?: string;
};
/** The access point id of an access point ARN (…:access-point/fsap-…). */
export declare function accessPointIdOf(arn: string): string;
/**
 * Where the function writes for this run: through the run's own access point (no place: EFS applies it), or from the
 * file system's root as root (the run's access point's place, or none without one). Throws FunctionUnsuited otherwise.
 */
export declare function placeFor(writer: WriterFunction, mounted: AccessPointFacts | undefined, run: {
    fileSystemId: string;
    accessPoint?: AccessPointFacts | undefined;
}): PlaceSpec | undefined;
