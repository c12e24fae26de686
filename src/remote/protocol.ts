/**
 * The data that flows between planning on the runner, staging in S3, and the agent on the instance. This file is
 * the contract: the agent (the package agent/efsync_agent) reads JobManifest and writes AgentResult exactly as typed here.
 */
import { EfsyncError } from '../core/errors.js';
import { isRecord } from '../core/published.js';
import type { TargetKind } from '../core/targets.js';
import type { DirEntry, FileEntry, ObjectCheck, Tree } from '../core/tree.js';

/** Where the agent gets a file of the new release. */
export type FileSource =
  /** Hard link of the same path in the base release (unchanged content and mode). */
  | { from: 'base' }
  /** A member of a staged tar part. */
  | { from: 'part'; part: string; member: string }
  /** A presigned GET of an S3 object (s3-source). */
  | ({ from: 'url'; url: string } & ObjectCheck);

export type ReleaseFile = FileEntry & { source: FileSource };

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
  owner?: { uid: number; gid: number };
  /** The access point's CreationInfo; permissions as octal digits, e.g. `755`. */
  creation?: { uid: number; gid: number; permissions: string };
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
export const AGENT_EXIT = {
  ok: 0,
  error: 1,
  baseMismatch: 3,
  lockTimeout: 4,
  mountFailed: 5,
  downloadFailed: 6,
} as const;

export class AgentResultError extends EfsyncError {}

const RESULT_STATUSES: readonly AgentResult['status'][] = ['ok', 'base-mismatch', 'error'];
const TARGET_STATUSES: readonly TargetResult['status'][] = ['published', 'rolled-back', 'base-mismatch', 'failed'];

/** Why the value is not a TargetResult, or undefined when it is. */
function targetResultProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not an object';
  if (typeof value.target !== 'string') return 'has no target';
  if (!TARGET_STATUSES.includes(value.status as TargetResult['status'])) return 'has an unknown status';
  if (typeof value.releaseId !== 'string') return 'has no releaseId';
  if (value.previousReleaseId !== null && typeof value.previousReleaseId !== 'string')
    return 'has a malformed previousReleaseId';
  for (const count of ['filesWritten', 'bytesWritten', 'filesLinked', 'filesDeleted'] as const)
    if (typeof value[count] !== 'number') return `has no ${count}`;
  if (!Array.isArray(value.releasesPruned)) return 'has no releasesPruned';
  const tree = value.tree;
  if (tree !== undefined && (!isRecord(tree) || !Array.isArray(tree.files) || !Array.isArray(tree.dirs)))
    return 'has a malformed tree';
  return undefined;
}

/**
 * The agent's result.json, checked before the run believes it: a result it cannot read is a failed run, and so is one
 * that does not name this run's id and the sha256 of the job this run staged (a result written by anything else).
 */
export function parseAgentResult(text: string, expected: { runId: string; jobSha256: string }): AgentResult {
  const fail = (problem: string) =>
    new AgentResultError(`The agent's result cannot be used: ${problem}. Its log (in the step's output) says why.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('it is not JSON');
  }
  if (!isRecord(value)) throw fail('it is not a JSON object');
  if (value.version !== 1) throw fail(`it has version ${JSON.stringify(value.version)}, this action reads version 1`);
  if (!RESULT_STATUSES.includes(value.status as AgentResult['status'])) throw fail('its status is unknown');
  if (!Array.isArray(value.targets)) throw fail('it has no targets');
  for (const [i, target] of value.targets.entries()) {
    const problem = targetResultProblem(target);
    if (problem) throw fail(`target #${i} ${problem}`);
  }
  if (value.error !== undefined && typeof value.error !== 'string') throw fail('its error is not a string');
  if (typeof value.seconds !== 'number') throw fail('it has no seconds');
  // Null only when the agent could not read its job at all: then the result can only be a failure.
  const unread = value.runId === null && value.jobSha256 === null && value.status === 'error';
  if (!unread && (value.runId !== expected.runId || value.jobSha256 !== expected.jobSha256)) {
    throw new AgentResultError(
      `The agent's result is not from this run's job: it names run ${JSON.stringify(value.runId)} and job sha256 ` +
        `${JSON.stringify(value.jobSha256)}, this run is ${expected.runId} with job sha256 ${expected.jobSha256}. ` +
        "Something other than this run's agent wrote result.json in the staging bucket: check who can write there.",
    );
  }
  return value as unknown as AgentResult;
}
