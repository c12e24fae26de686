import type { FileEntry } from '../core/tree.js';
/**
 * Where hashes are cached: `EFSYNC_HASH_CACHE` (a directory, or `off`), else `<RUNNER_TOOL_CACHE>/efsync/hashes` on a
 * runner, else `$XDG_CACHE_HOME/efsync/hashes` or `~/.cache/efsync/hashes`. Without `EFSYNC_HASH_CACHE`, directories
 * under the temporary directory (the dependency build directory, fresh every run) are not cached.
 */
export declare function hashCacheDir(root: string, env?: NodeJS.ProcessEnv): string | undefined;
/**
 * sha256 by (size, mtime, ctime, inode) of the files under one root, in one JSON file named by a hash of the root's
 * absolute path. ctime cannot be set back by `touch`, and any restore or checkout makes a new one, so a stale hit
 * would need a write that keeps the size and lands within the same nanosecond stamps. Rewritten after each walk
 * with the files that walk saw, so it never grows beyond the tree.
 */
export declare class HashCache {
    private readonly seen;
    private readonly stats;
    private readonly file;
    private readonly rootPath;
    private readonly known;
    private constructor();
    static open(realRoot: string): Promise<HashCache | undefined>;
    private static key;
    /** The cached hash of a file, if its size, times and inode are those it had when it was hashed. */
    lookup(rel: string, realPath: string): Promise<{
        size: number;
        sha256: string;
    } | undefined>;
    /** Records a hash just computed, only if the file looks the same as before it was read. */
    remember(rel: string, realPath: string, entry: FileEntry): Promise<void>;
    /** Writes the files of this walk, atomically; a cache that cannot be written is only a lost speed-up. */
    save(): Promise<void>;
}
