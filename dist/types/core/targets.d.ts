/** The three kinds of content a run publishes, and where a target is. */
/** In the order they are planned, staged and reported. */
export declare const TARGET_KINDS: readonly ["pip", "local", "s3"];
export type TargetKind = (typeof TARGET_KINDS)[number];
export declare function isTargetKind(value: unknown): value is TargetKind;
export interface TargetPath {
    kind: TargetKind;
    /** Relative to the file system root, or to the access point's root directory. */
    target: string;
    /** As a Lambda that mounts the file system (or the access point) at lambda-mount-path sees it. */
    lambdaPath: string;
    /** On the file system itself. */
    efsPath: string;
}
