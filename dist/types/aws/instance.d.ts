/**
 * The short-lived instance: launched with the subnet and groups from preflight, IMDSv2 only, tagged, terminating
 * itself at the run's deadline (user data arms `shutdown -P +N`, and shutdown means terminate); waited for until it
 * runs and until SSM has it Online; terminated idempotently.
 */
import { type EC2Client, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { delay } from '../core/delay.js';
import { EfsyncError } from '../core/errors.js';
import type { AwsClients } from './clients.js';
import type { PreflightResult } from './preflight.js';
import { type RootDevice } from './root-volume.js';
import type { Placement } from './zones.js';
export declare class InstanceError extends EfsyncError {
}
export interface LaunchRequest {
    runId: string;
    /** The stack whose role launches it: the STACK_TAG value. */
    stack: string;
    fileSystemId: string;
    instanceProfile: string;
    timeoutMinutes: number;
    preflight: PreflightResult;
    /** Bytes of staged parts the agent keeps on the instance's disk at once (root-volume.ts). */
    scratchBytes?: number;
}
/** The tags every instance gets; `expires-at` is what `mode: sweep` reads. */
export declare function instanceTags(request: LaunchRequest, now: Date): {
    Key: string;
    Value: string;
}[];
export declare function launchInput(request: LaunchRequest, imageId: string, type: string, now: Date, root?: RootDevice, subnetId?: string): RunInstancesCommandInput;
/** The places to try, in order: preflight's placements, or each instance type in preflight's subnet. */
export declare function placementsOf(preflight: PreflightResult): Placement[];
/**
 * Launches one instance, reporting the id at once. When EC2 does not offer the type in the zone (`Unsupported`) or
 * has no capacity for it there (`InsufficientInstanceCapacity`), the next zone is tried (its mount target's subnet,
 * the same security groups), then the next instance type; InstanceLimitExceeded moves to the next type.
 */
export declare function launchInstance(clients: AwsClients, request: LaunchRequest, onLaunched: (id: string) => void, log: (line: string) => void, sleep?: typeof delay): Promise<string>;
/**
 * Waits until the instance runs. One that ends first (EC2 takes it from pending straight to terminated, e.g. for a
 * volume KMS key the role cannot use) fails the run with its StateReason and the fix (state-reason.ts).
 */
export declare function waitRunning(clients: AwsClients, instanceId: string, maxWaitSeconds: number): Promise<void>;
/** Polls SSM every 2 to 5 s until the instance is Online, watching that it still runs. */
export declare function waitOnline(clients: AwsClients, instanceId: string, maxWaitSeconds: number, sleep?: typeof delay): Promise<void>;
export declare function instanceState(ec2: EC2Client, instanceId: string): Promise<string>;
/**
 * Terminates the instance unless it is already gone; returns whether a termination was requested. An instance that
 * DescribeInstances does not show is terminated by id all the same: EC2's API is eventually consistent, and a just
 * launched instance may not be listed yet ("Eventual consistency in the Amazon EC2 API", EC2 API reference).
 */
export declare function terminateInstance(clients: AwsClients, instanceId: string): Promise<boolean>;
/**
 * Terminates every instance tagged with this run's id that is not already gone: it also catches one whose
 * RunInstances answer never arrived (a cancellation in flight), so no instance outlives its run; but `keep`, the
 * instance the run left warm.
 */
export declare function terminateRunInstances(clients: AwsClients, runId: string, keep?: string): Promise<string[]>;
