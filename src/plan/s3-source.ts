/**
 * The tree of an S3 prefix, from listings only: no object is read on the runner. Files carry the ETag, which changes
 * whenever an object is rewritten with other content, so an unchanged model is never fetched again.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import type { DirEntry, FileEntry, Tree } from '../core/tree.js';
import { sortTree } from './tree.js';

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export class S3SourceError extends EfsyncError {}

/**
 * The path a key is written to below the target. Keys are free text in S3 but become paths on EFS, so anything that
 * could land outside the target or collapse onto another path is refused.
 */
export function relativeKeyPath(key: string, prefix: string): string {
  const rel = key.slice(prefix.length);
  const problem =
    rel === ''
      ? 'its path below the prefix is empty'
      : rel.startsWith('/')
        ? 'its path below the prefix starts with "/"'
        : rel.split('/').some((part) => part === '' || part === '.' || part === '..')
          ? 'its path has an empty, "." or ".." part'
          : rel.includes('\0')
            ? 'it contains a NUL character'
            : undefined;
  if (problem !== undefined) {
    throw new S3SourceError(
      `The S3 object ${JSON.stringify(key)} cannot be written safely to the file system: ${problem}. ` +
        'Rename it, or move it out of the source prefix.',
    );
  }
  return rel;
}

export async function listS3Tree(s3: S3Client, source: S3Location, options: { pageSize?: number } = {}): Promise<Tree> {
  const where = `s3://${source.bucket}/${source.prefix}`;
  const files: FileEntry[] = [];
  const dirs = new Map<string, DirEntry>();
  const keyOf = new Map<string, string>();
  const addDir = (dirPath: string) => {
    if (!dirs.has(dirPath)) dirs.set(dirPath, { path: dirPath, mode: DIR_MODE });
  };
  const addParents = (filePath: string) => {
    const parts = filePath.split('/');
    for (let i = 1; i < parts.length; i++) addDir(parts.slice(0, i).join('/'));
  };

  try {
    const pages = paginateListObjectsV2(
      { client: s3, ...(options.pageSize !== undefined && { pageSize: options.pageSize }) },
      { Bucket: source.bucket, Prefix: source.prefix },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (key.endsWith('/')) {
          // A folder marker, as the S3 console writes: an empty directory. The prefix's own marker is the root.
          if (key === source.prefix) continue;
          const dirPath = relativeKeyPath(key.slice(0, -1), source.prefix);
          addParents(dirPath);
          addDir(dirPath);
          continue;
        }
        const filePath = relativeKeyPath(key, source.prefix);
        if (!object.ETag) throw new S3SourceError(`${where}: S3 listed ${JSON.stringify(key)} without an ETag.`);
        files.push({ path: filePath, size: object.Size ?? 0, mode: FILE_MODE, etag: object.ETag.replaceAll('"', '') });
        keyOf.set(filePath, key);
        addParents(filePath);
      }
    }
  } catch (error) {
    if (error instanceof S3SourceError) throw error;
    throw new S3SourceError(`Cannot list ${where}: ${describeS3Error(error)}`);
  }

  // S3 allows both "a" and "a/b"; a file system cannot hold a file and a directory under one name.
  for (const file of files) {
    if (dirs.has(file.path)) {
      const inner = files.find((other) => other.path.startsWith(`${file.path}/`));
      const clash = inner ? keyOf.get(inner.path) : `${source.prefix}${file.path}/`;
      throw new S3SourceError(
        `The S3 objects ${JSON.stringify(keyOf.get(file.path))} and ${JSON.stringify(clash)} cannot both be ` +
          `written: ${file.path} would have to be a file and a directory. Rename one of them.`,
      );
    }
  }
  return sortTree({ files, dirs: [...dirs.values()] });
}

function describeS3Error(error: unknown): string {
  const name = (error as { name?: string }).name;
  if (name === 'NoSuchBucket') return 'the bucket does not exist (check s3-source and the region).';
  if (name === 'AccessDenied') return 'access denied: the role needs s3:ListBucket on the source bucket.';
  return `${name ?? 'Error'}: ${(error as Error).message}`;
}
