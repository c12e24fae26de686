/** The targets a Config publishes, where each is as a Lambda sees it and on the file system, and efsync's nesting. Pure. */
import path from 'node:path/posix';
import type { TargetKind, TargetPath } from '../core/targets.js';
import type { Config } from './types.js';

/** Each configured target with its kind, in the order of TARGET_KINDS. */
export function configuredTargets(config: Config): { kind: TargetKind; target: string }[] {
  const targets: [TargetKind, string | undefined][] = [
    ['pip', config.deps?.target],
    ['local', config.local?.target],
    ['s3', config.s3?.target],
  ];
  return targets.flatMap(([kind, target]) => (target === undefined ? [] : [{ kind, target }]));
}

/**
 * `accessPointRoot` is the access point's root directory on the file system ('/' without an access point); the
 * action learns it in preflight.
 */
export function targetPaths(config: Config, accessPointRoot = '/'): TargetPath[] {
  return configuredTargets(config).map(({ kind, target }) => ({
    kind,
    target,
    lambdaPath: path.join(config.fileSystem.lambdaMountPath, target),
    efsPath: path.join('/', accessPointRoot, target),
  }));
}

/**
 * A local-target inside the s3-target (efsync's layout: file_dir under file_dir_on_ec2) is published within the S3
 * target's release: returns the folder's path inside the S3 target, or undefined when the two are apart.
 */
export function localInsideS3(config: Config): string | undefined {
  const local = config.local?.target;
  const s3 = config.s3?.target;
  return local !== undefined && s3 !== undefined && local.startsWith(`${s3}/`) ? local.slice(s3.length + 1) : undefined;
}
