/**
 * Waiting for a launched instance: until EC2 has it running, then until SSM has it Online, each with a hard cap; an
 * instance that ends first fails the run with EC2's reason for it.
 */
import { type EC2Client, waitUntilInstanceRunning } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { delay } from '../../core/async.js';
import { errorMessage } from '../../core/errors.js';
import { InstanceError } from './launch.js';
import { describeStateReason, instanceStatus, stateReasonFix } from './state-reason.js';

/** States an instance that is not running any more, or never ran, is in. */
const ENDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Waits until the instance runs. One that ends first (EC2 takes it from pending straight to terminated, e.g. for a
 * volume KMS key the role cannot use) fails the run with its StateReason and the fix (state-reason.ts).
 */
export async function waitRunning(clients: AwsClients, instanceId: string, maxWaitSeconds: number): Promise<void> {
  try {
    await waitUntilInstanceRunning(
      { client: clients.ec2, minDelay: 2, maxDelay: 5, maxWaitTime: maxWaitSeconds },
      { InstanceIds: [instanceId] },
    );
  } catch (error) {
    const status = await instanceStatus(clients.ec2, instanceId).catch(() => undefined);
    if (status && ENDED.has(status.state)) {
      throw new InstanceError(
        `Instance ${instanceId} never ran: it is ${status.state}, with ${describeStateReason(status.reason)}. ` +
          stateReasonFix(status.reason),
      );
    }
    throw new InstanceError(
      `Instance ${instanceId} did not reach running within ${maxWaitSeconds} s: ${errorMessage(error)}`,
    );
  }
}

/** Polls SSM every 2 to 5 s until the instance is Online, watching that it still runs. */
export async function waitOnline(
  clients: AwsClients,
  instanceId: string,
  maxWaitSeconds: number,
  sleep = delay,
): Promise<void> {
  const { ssm, ec2 } = clients;
  const deadline = Date.now() + maxWaitSeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    const info = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
    );
    if (info.InstanceInformationList?.[0]?.PingStatus === 'Online') return;
    if (attempt % 3 === 2) {
      const { state, reason } = await instanceStatus(ec2, instanceId);
      if (state !== 'running' && state !== 'pending')
        throw new InstanceError(
          `Instance ${instanceId} is ${state} before SSM could reach it. EC2 gives ${describeStateReason(reason)}. ` +
            stateReasonFix(reason),
        );
    }
    if (Date.now() > deadline) {
      throw new InstanceError(
        `Instance ${instanceId} never came Online in SSM within ${maxWaitSeconds} s. Likely causes: the instance profile lacks ` +
          "SSM Agent's permissions (the template's instance role has them, as AmazonSSMManagedInstanceCore does); " +
          'the subnet has no route to SSM (a NAT gateway, or VPC endpoints for ssm, ssmmessages and ec2messages with ' +
          '443 open); or the AMI has no SSM agent.',
      );
    }
    await sleep(Math.min(2000 + attempt * 500, 5000));
  }
}

export async function instanceState(ec2: EC2Client, instanceId: string): Promise<string> {
  return (await instanceStatus(ec2, instanceId)).state;
}
