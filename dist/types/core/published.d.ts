/**
 * What a run leaves behind for the next one to plan against: the published state of a target at a place, kept in
 * S3. The agent's contract (the job and its result) is remote/protocol.ts.
 */
import type { TargetKind } from './targets.js';
import type { Tree } from './tree.js';
/**
 * What was last published to a target at one place (the file system, and the access point's root directory or '/'),
 * kept at the place's key after success (src/plan/place.ts).
 */
export interface PublishedState {
    version: 1;
    fileSystemId: string;
    /** The root directory it was published through ('/' without an access point); absent in older states. */
    root?: string;
    target: string;
    kind: TargetKind;
    releaseId: string;
    publishedAt: string;
    /** For dependencies: the release key (hash of requirements, runtime, architecture, installer, args). */
    key?: string;
    tree: Tree;
}
/** A JSON object (not null, not an array): what every reader of JSON from S3 checks first. */
export declare function isRecord(value: unknown): value is Record<string, unknown>;
