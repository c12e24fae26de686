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
