import type { Tree } from '../core/tree.js';
/**
 * Plain code-unit order, never localeCompare: the order must not depend on the runner's locale, or two runs would
 * digest the same tree differently.
 */
export declare function comparePaths(a: string, b: string): number;
export declare function sortTree(tree: Tree): Tree;
/** Hex sha256 of the tree's canonical JSON: equal for equal content whatever the entry order. */
export declare function treeDigest(tree: Tree): string;
/** `yyyymmddThhmmssZ-<first 8 hex of the digest>`: sorts by time, and names the content it holds. */
export declare function newReleaseId(tree: Tree, now: Date): string;
