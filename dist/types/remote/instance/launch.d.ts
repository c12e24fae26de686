/**
 * The short-lived instance: launched with the subnet and groups from preflight, IMDSv2 only, tagged, terminating
 * itself at the run's deadline (user data arms `shutdown -P +N` and keeps it across reboots, switch.ts; shutdown means
 * terminate); waited for until it
 * runs and until SSM has it Online; terminated idempotently.
 */
import { type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
import { delay } from '../../core/async.js';
import { EfsyncError } from '../../core/errors.js';
import type { Preflight } from '../preflight/preflight.js';
import type { Placement } from '../preflight/zones.js';
import { type RootDevice } from './root-volume.js';
export declare class InstanceError extends EfsyncError {
}
/**
 * What the run launches, sized from its plan (sizing.ts): preflight's checked types and places narrowed to the bytes
 * it moves, and the agent's concurrency on them. Preflight's own facts stay in Preflight.
 */
export interface LaunchPlan {
    /** The types to try, in order, with their architectures (and vCPUs where known). */
    instanceTypes: Preflight['instanceTypes'];
    /** Where to launch, in order; without them, each type in preflight's subnet. */
    placements?: Placement[];
    /** Parallel downloads and writes on the launched instance. */
    concurrency: number;
    /**
     * The types a warm instance may be of to serve this run (warm.ts): with `auto`, the chosen size and every larger one
     * (a smaller one would move the bytes slower than the sizing allows); else the listed types.
     */
    reuseTypes: {
        type: string;
        architecture: string;
    }[];
}
export interface LaunchRequest {
    runId: string;
    /** The stack whose role launches it: the STACK_TAG value. */
    stack: string;
    fileSystemId: string;
    instanceProfile: string;
    timeoutMinutes: number;
    /** What preflight checked: the subnet and groups the instance is launched with. */
    checked: Preflight;
    /** The types to try and where, as the run's sizing narrowed them; unsized, preflight's own. */
    launch?: Pick<LaunchPlan, 'instanceTypes' | 'placements'>;
    /** Bytes of staged parts the agent keeps on the instance's disk at once (root-volume.ts). */
    scratchBytes?: number;
}
/** The tags every instance gets; `expires-at` is what `mode: sweep` reads. */
export declare function instanceTags(request: LaunchRequest, now: Date): {
    Key: string;
    Value: string;
}[];
export declare function launchInput(request: LaunchRequest, imageId: string, type: string, now: Date, root?: RootDevice, subnetId?: string): RunInstancesCommandInput;
/** The places to try, in order: the placements, or each instance type in preflight's subnet. */
export declare function placementsOf(preflight: Preflight, launch?: Pick<LaunchPlan, 'instanceTypes' | 'placements'>): Placement[];
/**
 * Launches one instance, reporting the id at once. A refusal about capacity or limits moves on as launch-refusals.ts
 * explains: to the next zone (its mount target's subnet, the same security groups), the next instance type, or a
 * type with fewer vCPUs; each move is logged. When every place was refused and limits were among the answers, the
 * error names the quota to raise.
 */
export declare function launchInstance(clients: AwsClients, request: LaunchRequest, onLaunched: (id: string) => void, log: (line: string) => void, sleep?: typeof delay): Promise<string>;
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
