import { type Problems } from './problems.js';
/**
 * The real path of `absolute`: of the path itself when it exists, else of its deepest existing folder joined with
 * the rest (a path that does not exist yet cannot lead anywhere, but its folders can).
 */
export declare function realPathOf(absolute: string): string;
/** Whether `candidate` is `root` or lies under it, both real paths. */
export declare function within(root: string, candidate: string): boolean;
/**
 * Where a workspace-relative path really leads, when that is outside the workspace's real path: the real path, for
 * the message; undefined when it stays inside.
 */
export declare function escapesWorkspace(workspace: string, relative: string): string | undefined;
/**
 * Records a problem when `relative` (already inside the workspace as written) resolves outside the workspace's real
 * path through a symbolic link. Returns whether it stays inside.
 */
export declare function confineToWorkspace(problems: Problems, label: string, workspace: string, relative: string): boolean;
/**
 * The requirements file and every file it includes (`-r`/`-c`, as pip resolves them: relative to the including
 * file) must really lie in the workspace: pip reads each of them, and their text goes into the release key. A file
 * that cannot be read is left to planning, which names it.
 */
export declare function confineRequirements(problems: Problems, label: string, workspace: string, relative: string): void;
