/**
 * Waiting for a launched instance: until EC2 has it running, then until SSM has it Online, each with a hard cap; an
 * instance that ends first fails the run with EC2's reason for it.
 */
import { type EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients.js';
import { delay } from '../../core/async.js';
/**
 * Waits until the instance runs. One that ends first (EC2 takes it from pending straight to terminated, e.g. for a
 * volume KMS key the role cannot use) fails the run with its StateReason and the fix (state-reason.ts).
 */
export declare function waitRunning(clients: AwsClients, instanceId: string, maxWaitSeconds: number): Promise<void>;
/** Polls SSM every 2 to 5 s until the instance is Online, watching that it still runs. */
export declare function waitOnline(clients: AwsClients, instanceId: string, maxWaitSeconds: number, sleep?: typeof delay): Promise<void>;
export declare function instanceState(ec2: EC2Client, instanceId: string): Promise<string>;
