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
}

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
