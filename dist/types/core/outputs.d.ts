/** The action's outputs, computed in one place so that the action and the CLI report the same names. */
import type { SyncResult } from './result.js';
export declare const OUTPUT_NAMES: readonly ["changed", "engine", "instance-id", "instance-source", "warm-until", "pip-path", "local-path", "s3-path", "efs-pip-path", "efs-local-path", "efs-s3-path", "release-ids", "stats"];
export type OutputName = (typeof OUTPUT_NAMES)[number];
export declare function outputsOf(result: SyncResult): Record<OutputName, string>;
