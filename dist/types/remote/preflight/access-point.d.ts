/**
 * The run's access point (access-point-id): that it exists and belongs to the file system, and what EFS does to what
 * is written through it ("Enforcing a user identity using an access point" and "Enforcing a root directory with an
 * access point", EFS User Guide): every request runs as its POSIX user, under its root directory, which EFS makes on
 * first mount as its CreationInfo says. An instance mounts it and EFS applies all of this; the writer function mounts
 * the file system's root and applies it itself (the job's place, protocol.ts PlaceSpec).
 */
import { type AccessPointDescription, type EFSClient } from '@aws-sdk/client-efs';
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
export declare function describeAccessPoint(efs: EFSClient, id: string): Promise<AccessPointFacts | undefined>;
export declare function factsOf(id: string, point: AccessPointDescription): AccessPointFacts;
/** access-point-id, checked: it exists and belongs to the run's file system. */
export declare function checkAccessPoint(efs: EFSClient, fileSystemId: string, id: string | undefined): Promise<AccessPointFacts | undefined>;
/**
 * Where a writer that mounts the file system's root as root writes, to write as if through `point`: under its root
 * directory, everything it makes given its POSIX user. Undefined without an access point: the root, as root.
 */
export declare function placeOf(point: AccessPointFacts | undefined): PlaceSpec | undefined;
