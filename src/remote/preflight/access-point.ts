/**
 * The run's access point (access-point-id): that it exists and belongs to the file system, and what EFS does to what
 * is written through it ("Enforcing a user identity using an access point" and "Enforcing a root directory with an
 * access point", EFS User Guide): every request runs as its POSIX user, under its root directory, which EFS makes on
 * first mount as its CreationInfo says. An instance mounts it and EFS applies all of this; the writer function mounts
 * the file system's root and applies it itself (the job's place, protocol.ts PlaceSpec).
 */
import { type AccessPointDescription, DescribeAccessPointsCommand, type EFSClient } from '@aws-sdk/client-efs';
import { isNotFound } from '../../aws/errors.js';
import { PreflightError } from '../../core/errors.js';
import type { PlaceSpec } from '../protocol.js';

/**
 * An access point as the run uses it: its root directory (normalised: '/' for the file system's root), the user EFS
 * runs every request through it as (absent: the client's own), and how EFS makes the root directory when it is
 * missing (absent: a mount fails instead).
 */
export interface AccessPointFacts extends PlaceSpec {
  id: string;
  arn: string;
  fileSystemId: string;
}

/** One access point as DescribeAccessPoints tells it; undefined when it does not exist. */
export async function describeAccessPoint(efs: EFSClient, id: string): Promise<AccessPointFacts | undefined> {
  const point = await efs.send(new DescribeAccessPointsCommand({ AccessPointId: id })).then(
    (answer) => answer.AccessPoints?.[0],
    (error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    },
  );
  return point && factsOf(id, point);
}

export function factsOf(id: string, point: AccessPointDescription): AccessPointFacts {
  const root = `/${(point.RootDirectory?.Path ?? '/').split('/').filter(Boolean).join('/')}`;
  const user = point.PosixUser;
  const info = point.RootDirectory?.CreationInfo;
  return {
    id,
    arn: point.AccessPointArn ?? '',
    fileSystemId: point.FileSystemId ?? '',
    root,
    ...(user && { owner: { uid: user.Uid ?? 0, gid: user.Gid ?? 0 } }),
    ...(info && {
      creation: { uid: info.OwnerUid ?? 0, gid: info.OwnerGid ?? 0, permissions: info.Permissions ?? '' },
    }),
  };
}

/** access-point-id, checked: it exists and belongs to the run's file system. */
export async function checkAccessPoint(
  efs: EFSClient,
  fileSystemId: string,
  id: string | undefined,
): Promise<AccessPointFacts | undefined> {
  if (!id) return undefined;
  const point = await describeAccessPoint(efs, id);
  if (!point) throw new PreflightError(`Access point ${id} does not exist. Check access-point-id.`);
  if (point.fileSystemId !== fileSystemId) {
    throw new PreflightError(
      `Access point ${id} belongs to ${point.fileSystemId}, not ${fileSystemId}. Use an access point of ${fileSystemId}.`,
    );
  }
  return point;
}

/**
 * Where a writer that mounts the file system's root as root writes, to write as if through `point`: under its root
 * directory, everything it makes given its POSIX user. Undefined without an access point: the root, as root.
 */
export function placeOf(point: AccessPointFacts | undefined): PlaceSpec | undefined {
  if (!point) return undefined;
  const { id: _id, arn: _arn, fileSystemId: _fs, ...place } = point;
  return place;
}
