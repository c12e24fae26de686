/**
 * The data that flows between planning on the runner, staging in S3, and the agent on the instance. This file is
 * the contract: the agent (the package agent/efsync_agent) reads JobManifest and writes AgentResult exactly as typed here.
 */
import { EfsyncError } from '../core/errors.js';
import type { TargetKind } from '../core/targets.js';
import type { DirEntry, FileEntry, ObjectCheck, Tree } from '../core/tree.js';
/** Where the agent gets a file of the new release. */
export type FileSource = 
/** Hard link of the same path in the base release (unchanged content and mode). */
{
    from: 'base';
}
/** A member of a staged tar part. */
 | {
    from: 'part';
    part: string;
    member: string;
}
/** A presigned GET of an S3 object (s3-source). */
 | ({
    from: 'url';
    url: string;
} & ObjectCheck);
export type ReleaseFile = FileEntry & {
    source: FileSource;
};
export interface TargetJob {
    target: string;
    kind: TargetKind;
    /** 'sync' builds releaseId; 'rollback' serves the release before the current one again. */
    action: 'sync' | 'rollback';
    releaseId: string;
    /** The release the plan was made against; null when the target has no release yet. */
    baseReleaseId: string | null;
    /** Every directory and every file of the new release (files here, then in `chunks`); anything not listed is not in it. */
    dirs: DirEntry[];
    files: ReleaseFile[];
    /** For the log and the result only: what the plan counts as deleted. */
    deleted: string[];
    /** The rest of the target's files, in bounded chunks outside the job (the action puts every file there). */
    chunks?: JobChunk[];
}
/**
 * A run of a target's files kept outside the job, so that the job stays small and the agent holds one chunk at a
 * time, not 100,000 presigned URLs: the object is JSON Lines, one ReleaseFile a line, of at most JOB_CHUNK_FILES files
 * and about JOB_CHUNK_BYTES bytes (src/remote/stage/job-upload.ts). Its sha256 is in the job, so the job's sha256, which the agent's
 * result names, covers every chunk.
 */
export interface JobChunk {
    /** Presigned GET, valid as long as the job's other URLs. */
    url: string;
    size: number;
    sha256: string;
    /** Its lines: the agent refuses a chunk that holds another number. */
    files: number;
}
export interface StagedPart {
    name: string;
    url: string;
    size: number;
    sha256: string;
}
/**
 * How the agent mounts the file system. It always tries the EFS mount helper (amazon-efs-utils) with TLS first;
 * `iam` makes the instance present its role, which a file system policy or an access point needs.
 */
export interface MountSpec {
    fileSystemId: string;
    /** The file system's DNS name, in the partition's DNS suffix (amazonaws.com.cn in China). */
    dnsName: string;
    /** The mount target's IP address in the instance's AZ: mounted by IP when the DNS name does not resolve. */
    mountTargetIp?: string;
    /**
     * The mount target's IP address in each AZ the instance may be launched in (the launch moves to another zone when
     * one has no capacity): the agent takes its own AZ's, read from the instance metadata, before `mountTargetIp`.
     */
    mountTargetIps?: Record<string, string>;
    /** Mount with the EFS mount helper's `iam` option (needs `tls`, which is always on). */
    iam: boolean;
    accessPointId?: string;
    /** Plain NFSv4.1 is acceptable when the EFS mount helper cannot be installed: no policy, no access point. */
    plainNfsAllowed: boolean;
    /** Why these options, for the log. */
    reason: string;
}
/**
 * Where a writer that mounts the file system's root as root (the writer function) writes for a run through an access
 * point, doing what EFS does for a client of that access point: the targets are under `root`, made as `creation` says
 * where missing, and everything the agent makes there is given `owner` (the access point's POSIX user). An instance
 * mounts the access point itself: its jobs have no place.
 */
export interface PlaceSpec {
    /** The access point's root directory, e.g. `/lambda`. */
    root: string;
    owner?: {
        uid: number;
        gid: number;
    };
    /** The access point's CreationInfo; permissions as octal digits, e.g. `755`. */
    creation?: {
        uid: number;
        gid: number;
        permissions: string;
    };
}
export interface JobManifest {
    version: 1;
    runId: string;
    fileSystemId: string;
    mount: MountSpec;
    place?: PlaceSpec;
    /** How long to wait for the file system lock held by another run. */
    lockTimeoutSeconds: number;
    keepReleases: number;
    /**
     * A release beyond keepReleases is removed only once it stopped serving at least this many minutes ago: a Lambda
     * that pinned it (os.path.realpath of the target) may still read it.
     */
    keepReleasesMinutes: number;
    /** Parallel downloads and writes on the instance. */
    concurrency: number;
    parts: StagedPart[];
    targets: TargetJob[];
    /** Presigned PUTs: the agent's full log and its result, so the 24,000-character SSM cap never hides them. */
    logUrl: string;
    resultUrl: string;
    /**
     * Present only when the writer function is to import the new dependency release before the switch
     * (remote/lambda/imports.ts): the agent imports each top-level module of each `pip` target's release.
     */
    verifyImports?: VerifyImportsJob;
}
export interface VerifyImportsJob {
    /** Modules not imported: a top-level name, or a dotted one inside a namespace package (its submodules too). */
    skip: string[];
}
export interface TargetResult {
    target: string;
    status: 'published' | 'rolled-back' | 'base-mismatch' | 'failed';
    releaseId: string;
    previousReleaseId: string | null;
    /** For base-mismatch: the release the target actually serves. */
    actualReleaseId?: string | null;
    filesWritten: number;
    bytesWritten: number;
    filesLinked: number;
    filesDeleted: number;
    releasesPruned: string[];
    /** For rollback: the tree of the release now served, so the action can record it as the new state. */
    tree?: Tree;
}
export interface AgentResult {
    version: 1;
    /** The job's runId, and the sha256 of the job file the agent read: the action checks both against its own run. */
    runId: string | null;
    jobSha256: string | null;
    status: 'ok' | 'base-mismatch' | 'error';
    targets: TargetResult[];
    /** One line, for the step's error message. */
    error?: string;
    seconds: number;
}
/** Exit codes of the agent; the bootstrap passes them through as the command's ResponseCode. */
export declare const AGENT_EXIT: {
    readonly ok: 0;
    readonly error: 1;
    readonly baseMismatch: 3;
    readonly lockTimeout: 4;
    readonly mountFailed: 5;
    readonly downloadFailed: 6;
};
export declare class AgentResultError extends EfsyncError {
}
/**
 * The agent's result.json, checked before the run believes it: a result it cannot read is a failed run, and so is one
 * that does not name this run's id and the sha256 of the job this run staged (a result written by anything else).
 */
export declare function parseAgentResult(text: string, expected: {
    runId: string;
    jobSha256: string;
}): AgentResult;
