/** The three kinds of content a run publishes, and where a target is. */

/** In the order they are planned, staged and reported. */
export const TARGET_KINDS = ['pip', 'local', 's3'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export function isTargetKind(value: unknown): value is TargetKind {
  return (TARGET_KINDS as readonly unknown[]).includes(value);
}

export interface TargetPath {
  kind: TargetKind;
  /** Relative to the file system root, or to the access point's root directory. */
  target: string;
  /** As a Lambda that mounts the file system (or the access point) at lambda-mount-path sees it. */
  lambdaPath: string;
  /** On the file system itself. */
  efsPath: string;
}
