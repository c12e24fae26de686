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
import { formatBytes } from '../../core/format.js';
import type { AccessPointFacts } from '../preflight/access-point.js';
import { placeOf } from '../preflight/access-point.js';
import type { PlaceSpec } from '../protocol.js';
import type { WriterFunction } from './ready.js';

/** The writer function cannot carry this job out; under `engine: auto` an instance does instead. */
export class FunctionUnsuited extends EfsyncError {}

/**
 * The transfer model. AWS publishes no network figure for Lambda, so the function is reckoned at one S3 download's
 * worth, 40 MiB/s (core/instance-size.ts reckons a download at half of one S3 connection's 80 MiB/s), far below EFS's
 * 500 MiB/s per client; and each file at the bench's NFS model (docs/bench.md): 2 ms per round trip, 5 per file
 * written, 2 per file linked, spread over the agent's threads; plus a cold start, about 3.4 s for a Python function
 * with VPC and EFS as measured by a third party (dev.robot.wtf, "Phase 0 EFS benchmarks", 2026-03), rounded up.
 */
export const MODEL = {
  bytesPerSecond: 40 * 1048576,
  roundTripSeconds: 0.002,
  perFile: 5,
  perLink: 2,
  startSeconds: 5,
};
/** "Well inside" the timeout: at most this share of it, for a slow mount, a throttled file system, retries. */
export const TIMEOUT_SHARE = 1 / 3;
/** /tmp also holds the agent (a few hundred kB) and Python's own files. */
const TMP_RESERVE = 64 * 1048576;

export interface JobSize {
  bytes: number;
  filesWritten: number;
  filesLinked: number;
  /** The largest staged part: what /tmp must hold at least (job.ts scratchBytes with one part). */
  largestPart: number;
}

/** The agent's threads in a function of this memory (agent/efsync_agent/capacity.py: 128 MB base, 4 MB a thread). */
function threads(memoryMiB: number): number {
  return Math.min(64, Math.max(1, Math.floor((memoryMiB - 128) / 4)));
}

export function modeledSeconds(writer: Pick<WriterFunction, 'memoryMiB'>, size: JobSize): number {
  const trips = size.filesWritten * MODEL.perFile + size.filesLinked * MODEL.perLink;
  return (
    MODEL.startSeconds +
    size.bytes / MODEL.bytesPerSecond +
    (trips * MODEL.roundTripSeconds) / threads(writer.memoryMiB)
  );
}

/**
 * Whether the job fits: `line` says why, for the log; `unsuited` is set when it does not. Under `auto` the job must end
 * well inside the timeout; under `lambda` only what cannot work refuses it (a part larger than /tmp, a modeled time
 * over the timeout).
 */
export function judgeFit(
  writer: WriterFunction,
  size: JobSize,
  engine: 'auto' | 'lambda',
): { line: string; unsuited?: string } {
  const seconds = Math.ceil(modeledSeconds(writer, size));
  const tmp = writer.ephemeralMiB * 1048576;
  const transfer = `about ${seconds} s to write ${formatBytes(size.bytes)} in ${size.filesWritten} files and link ${size.filesLinked} (modeled)`;
  const partFits = size.largestPart <= tmp - TMP_RESERVE;
  const limit = engine === 'auto' ? writer.timeoutSeconds * TIMEOUT_SHARE : writer.timeoutSeconds;
  const problems = [
    ...(seconds > limit
      ? [
          `${transfer} is not ${engine === 'auto' ? 'well inside' : 'inside'} its timeout of ${writer.timeoutSeconds} s${engine === 'auto' ? ' (a third of it at most)' : ''}`,
        ]
      : []),
    ...(partFits
      ? []
      : [
          `its largest staged part, ${formatBytes(size.largestPart)}, does not fit its /tmp of ${writer.ephemeralMiB} MB`,
        ]),
  ];
  if (problems.length > 0) return { line: '', unsuited: problems.join('; and ') };
  const part =
    size.largestPart > 0
      ? `; its largest staged part, ${formatBytes(size.largestPart)}, fits its /tmp of ${writer.ephemeralMiB} MB`
      : '';
  return {
    line: `The job fits the writer function ${writer.name}: ${transfer}, well inside its timeout of ${writer.timeoutSeconds} s${part}.`,
  };
}

/** The access point id of an access point ARN (…:access-point/fsap-…). */
export function accessPointIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * Where the function writes for this run: through the run's own access point (no place: EFS applies it), or from the
 * file system's root as root (the run's access point's place, or none without one). Throws FunctionUnsuited otherwise.
 */
export function placeFor(
  writer: WriterFunction,
  mounted: AccessPointFacts | undefined,
  run: { fileSystemId: string; accessPoint?: AccessPointFacts | undefined },
): PlaceSpec | undefined {
  const id = accessPointIdOf(writer.accessPointArn);
  const cannot = (why: string) => new FunctionUnsuited(`the writer function ${writer.name} ${why}`);
  if (!writer.accessPointArn) throw cannot('mounts no file system (it has no FileSystemConfigs)');
  if (!mounted) throw cannot(`mounts access point ${id}, which does not exist`);
  if (mounted.fileSystemId !== run.fileSystemId)
    throw cannot(`mounts file system ${mounted.fileSystemId}, not ${run.fileSystemId}`);
  if (run.accessPoint && mounted.id === run.accessPoint.id) return undefined;
  const asRoot = mounted.root === '/' && mounted.owner?.uid === 0 && mounted.owner.gid === 0;
  if (!asRoot) {
    const user = mounted.owner ? `uid ${mounted.owner.uid}` : 'no POSIX user';
    const wanted = run.accessPoint ? `access point ${run.accessPoint.id}` : 'no access point';
    throw cannot(
      `mounts access point ${id} (root ${mounted.root}, ${user}): neither the run's (${wanted}) nor the file system's root as root, so it would write elsewhere or as another owner`,
    );
  }
  return placeOf(run.accessPoint);
}
