/**
 * Why an instance ended, in words a user can act on. EC2 can take an instance from pending straight to terminated
 * ("Instance terminates immediately", EC2 User Guide, Troubleshoot Amazon EC2 instance launch issues:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-internal),
 * and gives the cause as the instance's StateReason, a code and a message whose codes the EC2 API reference lists
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html).
 *
 * A Server.InsufficientInstanceCapacity here is not met by launching the next type of `instance-type`, as
 * RunInstances' InsufficientInstanceCapacity is: EC2 reports a lack of capacity when RunInstances is called (EC2
 * User Guide, Insufficient instance capacity), an instance it accepted and then ends for capacity is rare, and the
 * run launches its one instance once. The error names the fallbacks instead.
 */
import { type EC2Client } from '@aws-sdk/client-ec2';
export interface StateReason {
    code?: string | undefined;
    message?: string | undefined;
}
export interface InstanceStatus {
    /** pending, running, shutting-down, terminated, stopping, stopped; 'absent' when EC2 does not list it. */
    state: string;
    reason: StateReason;
}
/** The instance's state and StateReason, from DescribeInstances. */
export declare function instanceStatus(ec2: EC2Client, instanceId: string): Promise<InstanceStatus>;
/** The reason as the error gives it: `state reason <code> ("<message>")`, or that EC2 gave none. */
export declare function describeStateReason(reason: StateReason): string;
/** What to do about an instance that ended with this reason. Pure. */
export declare function stateReasonFix(reason: StateReason): string;
