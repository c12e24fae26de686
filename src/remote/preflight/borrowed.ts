/**
 * instance-id: an SSM-managed instance of the user's own. Preflight reads where it is (its zone, subnet and security
 * groups, which then stand for what a launch would choose) and refuses one that SSM does not have Online or whose
 * architecture is unknown. The action never stops, terminates or arms the shutdown of such an instance.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { isNotFound } from '../../aws/errors.js';
import { PreflightError } from '../../core/errors.js';

export interface Borrowed {
  instanceId: string;
  subnetId: string;
  availabilityZone: string;
  securityGroupIds: string[];
  architecture: 'x86_64' | 'arm64';
}

export async function describeBorrowed(clients: AwsClients, instanceId: string): Promise<Borrowed> {
  const where = `in ${clients.region}`;
  const found = await clients.ec2
    .send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    .catch((error: unknown) => {
      if (isNotFound(error) || /InvalidInstanceID/.test((error as Error).name)) return undefined;
      throw error;
    });
  const instance = found?.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new PreflightError(`Instance ${instanceId} does not exist ${where}. Check instance-id.`);
  const state = instance.State?.Name ?? 'unknown';
  if (state !== 'running')
    throw new PreflightError(
      `Instance ${instanceId} is ${state}, not running. Start it (efsync never starts or stops your instance), or ` +
        'leave instance-id empty to launch one.',
    );
  const architecture = instance.Architecture;
  if (architecture !== 'x86_64' && architecture !== 'arm64')
    throw new PreflightError(
      `Instance ${instanceId} has architecture ${architecture ?? 'unknown'}; efsync runs on x86_64 or arm64 Linux. ` +
        'Use another instance, or leave instance-id empty.',
    );
  const info = await clients.ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  const ping = info.InstanceInformationList?.[0]?.PingStatus;
  const why = ping ? `PingStatus ${ping}` : 'not registered';
  if (ping !== 'Online')
    throw new PreflightError(
      `Instance ${instanceId} is not Online in SSM (${why}). It needs the ` +
        'SSM agent running, an instance profile with AmazonSSMManagedInstanceCore, and a route to SSM.',
    );
  return {
    instanceId,
    subnetId: instance.SubnetId ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    securityGroupIds: (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    architecture,
  };
}

/** A mount target must be in the instance's zone: the file system's DNS name resolves only there. */
export function zoneProblem(
  borrowed: Borrowed,
  fileSystemId: string,
  targets: { AvailabilityZoneName?: string | undefined; SubnetId?: string | undefined }[],
): string | undefined {
  if (targets.some((t) => t.AvailabilityZoneName === borrowed.availabilityZone)) return undefined;
  const list = targets.map((t) => `${t.AvailabilityZoneName} (${t.SubnetId})`).join(', ');
  return (
    `Instance ${borrowed.instanceId} is in ${borrowed.availabilityZone}, where ${fileSystemId} has no mount target. ` +
    `Use an instance in a zone with one (${list}), or create a mount target in ${borrowed.availabilityZone}.`
  );
}
