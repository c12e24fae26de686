/** Trees of files and directories, as planning, staging, the state and the agent all see them. */
/** A regular file of a tree. Paths are POSIX, relative to the target root, without '.' or '..' parts. */
export interface FileEntry {
    path: string;
    size: number;
    /** Permission bits only, e.g. 0o644 (420). */
    mode: number;
    /** Hex sha256 of the content: always for local and dependency files. */
    sha256?: string;
    /** The S3 ETag without quotes, for files from s3-source (an MD5 hex unless it has a '-N' multipart suffix). */
    etag?: string;
    /**
     * In a release's tree on EFS only (`.<name>.efsync/<release-id>.json`, written by the agent): how the file's content
     * was verified when it was written. 'sha256' for local and dependency files (and any file the plan gave a sha256);
     * for an S3 object the algorithm of its ObjectCheck (an MD5 ETag, or a full-object checksum S3 keeps) or 'size'
     * when S3 offered neither. A file linked from the base release keeps what the base release's tree says, and has
     * none when that tree says nothing (a release made before this field, or a legacy directory).
     */
    verified?: Verified;
}
/**
 * How the agent verifies an S3-source object once downloaded, by what S3 offers for it (src/plan/s3-objects.ts): an
 * ETag that is an MD5 (single-part objects, unencrypted or SSE-S3), else a full-object checksum S3 stores with the
 * object, else its size alone. `digest` is lowercase hex (S3's base64 checksums are converted).
 */
export declare const VERIFY_ALGORITHMS: readonly ["md5", "sha256", "sha512", "sha1", "crc32", "crc32c", "crc64nvme"];
export type VerifyAlgorithm = (typeof VERIFY_ALGORITHMS)[number];
export type ObjectCheck = {
    verify: VerifyAlgorithm;
    digest: string;
} | {
    verify: 'size';
};
/** How a file of a release was verified: a digest S3 or the plan gives (VERIFY_ALGORITHMS), or its size alone. */
export type Verified = VerifyAlgorithm | 'size';
export interface DirEntry {
    path: string;
    mode: number;
}
/** Everything a target holds: files and directories, each sorted by path. */
export interface Tree {
    files: FileEntry[];
    dirs: DirEntry[];
}
export interface Changes {
    add: FileEntry[];
    modify: FileEntry[];
    /** Paths gone from the source (deleted only when `delete` is true; otherwise kept from the base). */
    delete: string[];
}
/**
 * The mode a file or folder is published with: its permission bits less setuid, setgid, sticky and write for others
 * (mode & 0o775). The file system is shared by every Lambda that mounts it: a world-writable file in a release would
 * let any of them change what the others import, and set-id bits have no use there. The agent applies the same mask.
 */
export declare function publishedMode(mode: number): number;
