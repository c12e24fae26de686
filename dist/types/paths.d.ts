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
export declare function targetPaths(config: Config, accessPointRoot?: string): TargetPath[];
/**
 * A local-target inside the s3-target (efsync's layout: file_dir under file_dir_on_ec2) is published within the S3
 * target's release: returns the folder's path inside the S3 target, or undefined when the two are apart.
 */
export declare function localInsideS3(config: Config): string | undefined;
