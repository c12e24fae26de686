/** Where each target is, as a Lambda sees it and on the file system. Pure. */
import path from 'node:path/posix';
import type { Config, TargetKind } from './config/types.js';

export interface TargetPath {
  kind: TargetKind;
  /** Relative to the file system root, or to the access point's root directory. */
  target: string;
  /** As a Lambda that mounts the file system (or the access point) at lambda-mount-path sees it. */
  lambdaPath: string;
  /** On the file system itself. */
  efsPath: string;
}

/**
 * `accessPointRoot` is the access point's root directory on the file system ('/' without an access point); the
 * action learns it in preflight.
 */
export function targetPaths(config: Config, accessPointRoot = '/'): TargetPath[] {
  const targets: [TargetKind, string | undefined][] = [
    ['pip', config.deps?.target],
    ['local', config.local?.target],
    ['s3', config.s3?.target],
  ];
  return targets.flatMap(([kind, target]) =>
    target === undefined
      ? []
      : [
          {
            kind,
            target,
            lambdaPath: path.join(config.fileSystem.lambdaMountPath, target),
            efsPath: path.join('/', accessPointRoot, target),
          },
        ],
  );
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
