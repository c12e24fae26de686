import type { TargetKind, TargetPath } from '../core/targets.js';
import type { Config } from './types.js';
/** Each configured target with its kind, in the order of TARGET_KINDS. */
export declare function configuredTargets(config: Config): {
    kind: TargetKind;
    target: string;
}[];
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
