import type { S3Client } from '@aws-sdk/client-s3';
import type { PublishedState } from '../core/published.js';
/** The file system, and the directory the run sees as its root: the access point's root directory, or '/'. */
export interface Place {
    fileSystemId: string;
    root: string;
}
/**
 * The root directory as one canonical path: absolute, no trailing slash, '/' for the file system's root. Two access
 * points with the same root directory reach the same directories, so they are the same place.
 */
export declare function placeRoot(root: string | undefined): string;
/**
 * `<prefix>state/<fs-id>/.efsync-root=<root>/<target>.json`, the root encoded with encodeURIComponent: '/' becomes
 * %2F, so the root is one key segment whatever its depth, and '%' becomes %25, so the encoding is injective (two
 * roots never give one key) and decodeURIComponent reads it back; letters, digits and most punctuation stay as they
 * are, so the key stays readable (`.efsync-root=%2Flambda`). The segment starts with `.efsync`, a name no target's
 * folder may have (config/rules.ts), so no key of this form is the key an older version wrote for another target
 * (`<prefix>state/<fs-id>/<target>.json`).
 */
export declare function stateKey(prefix: string, place: Place, target: string): string;
/** Where versions before places kept the state of a target, whatever access point it was published through. */
export declare function legacyStateKey(prefix: string, fileSystemId: string, target: string): string;
export interface FoundState {
    /** The state to plan against; undefined for a fresh publish. */
    state?: PublishedState;
    /** The place's own key, where the state is written after success. */
    key: string;
    /** Set when `state` was read at the legacy key: it is carried over only when the agent confirms it (below). */
    carriedFrom?: string;
}
/**
 * The state of a target at a place. The place's own key first. Without one, a state at the legacy key is carried over
 * once, under this rule: a legacy state does not say which access point (if any) it was written through, so it is
 * trusted only where the agent finds the target serving the very release it names. A release id is the publish's
 * time and the digest of its tree (plan/tree.ts), so the same id at this place means the same content. Hence a plan
 * on a carried state is never "unchanged" (an instance runs to look; see `carried`), the agent hard-links from it only
 * when its base check finds that release (agent: base mismatch otherwise, nothing written), and on a mismatch the run
 * plans the target again in full, where the legacy state is ignored (`ownOnly`): a fresh publish. After success the state is
 * written at the place's key, so the legacy key is read at most until then; it is never written or deleted (another
 * place may still prove it is its own the same way).
 */
export declare function findState(s3: S3Client, bucket: string, prefix: string, place: Place, target: string, 
/** A re-plan after a base mismatch, or a rollback: the legacy key is not read. */
options?: {
    ownOnly?: boolean;
}): Promise<FoundState>;
/** The log line of a carried-over state, at plan time. */
export declare function describeCarry(bucket: string, target: string, found: FoundState, place: Place): string | undefined;
export declare function describePlace(place: Place): string;
