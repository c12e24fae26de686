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
