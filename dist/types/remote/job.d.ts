/**
 * The job the agent carries out, built from the plans as pure code: which release each target gets, where each of
 * its files comes from (a hard link of the base release, a member of a staged part, or a presigned URL of an
 * S3-source object), and what to delete. The I/O (staging, presigning, uploading) is the caller's.
 */
import type { TargetPlan } from '../plan/target-plan.js';
import type { JobManifest, PlaceSpec } from './protocol.js';
export type JobAction = 'sync' | 'rollback';
/** A staged part's members, by target, then by path. */
export type StagedMembers = Map<string, Map<string, {
    part: string;
    member: string;
}>>;
/** The job as uploaded: the manifest, plus where the bootstrap gets the agent (and the hash it checks). */
export type StagedJob = JobManifest & {
    agent: {
        url: string;
        sha256: string;
    };
};
/** What a job is built from: the manifest's settings as they are, and the plans and staged parts it is made of. */
export interface JobInput extends Pick<JobManifest, 'runId' | 'fileSystemId' | 'mount' | 'lockTimeoutSeconds' | 'keepReleases' | 'keepReleasesMinutes' | 'parts' | 'verifyImports'> {
    place?: PlaceSpec | undefined;
    /** Files gone from the source are deleted from the new release. */
    deleteGone: boolean;
    action: JobAction;
    plans: TargetPlan[];
    releaseIds: Record<string, string>;
    members: StagedMembers;
    /** The presigned GET of an S3-source object, by bucket and key (see sourceObjects). */
    objectUrl: (bucket: string, key: string) => string;
    logUrl: string;
    resultUrl: string;
    agent: {
        url: string;
        sha256: string;
    };
    /** Parallel downloads and writes on the instance (core/instance-size.ts, agentConcurrency); AGENT_CONCURRENCY if unset. */
    concurrency?: number;
}
/** Parallel downloads and writes on the instance, unless the instance's size says more. */
export declare const AGENT_CONCURRENCY = 16;
/** The release each target gets: a new id from its tree and the time for a sync, none for a rollback. */
export declare function newReleaseIds(plans: TargetPlan[], action: JobAction, now: Date): Record<string, string>;
/** The changed files on the runner, which staging packs into parts, per target. */
export declare function filesToStage(plans: TargetPlan[], action: JobAction): {
    target: string;
    root: string;
    files: (import("../core/tree.js").FileEntry & {
        changed: boolean;
    })[];
}[];
/**
 * The most bytes of staged parts the agent keeps on the instance's disk at once. It deletes a part as soon as the
 * files taken from it are written, and starts a download only while fewer than `concurrency` parts are on disk
 * (agent/efsync_agent/parts.py, PartStore): so the `concurrency` largest parts, not the sum of all. Reckoned over every
 * file of the targets that staging would pack, changed or not, so that the one re-plan after a base mismatch, which
 * sends every file (run/engine.ts, carryOut), fits on the same instance. S3-source objects go straight to EFS.
 */
export declare function scratchBytes(plans: TargetPlan[], action: JobAction, concurrency?: number): number;
/**
 * The bytes the instance takes in for a run: every changed file, from a staged part or straight from the S3 source.
 * What sizes the instance (core/instance-size.ts).
 */
export declare function bytesToMove(plans: TargetPlan[], action: JobAction): number;
/** The S3-source objects of one plan that the agent downloads: path, key and the listed ETag. */
export declare function objectsToFetch(plan: TargetPlan): {
    path: string;
    key: string;
    etag: string;
}[];
/** The S3-source objects the agent downloads itself, each needing a presigned GET. */
export declare function sourceObjects(plans: TargetPlan[], action: JobAction): {
    bucket: string;
    key: string;
}[];
export declare function buildJob(input: JobInput): StagedJob;
