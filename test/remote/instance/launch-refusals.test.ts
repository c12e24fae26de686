import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { InstanceError, launchInstance } from '../../../src/remote/instance/launch.js';
import { currentVcpuLimit, limitAdvice, quotaClass } from '../../../src/remote/instance/launch-refusals.js';
import type { Preflight } from '../../../src/remote/preflight/preflight.js';
import { orderPlacements } from '../../../src/remote/preflight/zones.js';

const ZONES = [
  { availabilityZone: 'eu-west-1a', subnetId: 'subnet-a' },
  { availabilityZone: 'eu-west-1b', subnetId: 'subnet-b' },
];
const TYPES = [
  { type: 'c7g.xlarge', architecture: 'arm64' as const, vcpus: 4 },
  { type: 'm7g.xlarge', architecture: 'arm64' as const, vcpus: 4 },
  { type: 'g5g.xlarge', architecture: 'arm64' as const, vcpus: 4 },
  { type: 't4g.small', architecture: 'arm64' as const, vcpus: 2 },
];
const MESSAGE =
  'You have requested more vCPU capacity than your current vCPU limit of 5 allows for the instance bucket that the ' +
  'specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an ' +
  'adjustment to this limit.';

function awsError(name: string): Error {
  const error = new Error(name === 'VcpuLimitExceeded' ? MESSAGE : `${name} here`);
  error.name = name;
  return error;
}

const preflight: Preflight = {
  subnetId: 'subnet-a',
  availabilityZone: 'eu-west-1a',
  securityGroupIds: ['sg-1'],
  mount: { fileSystemId: 'fs-1', dnsName: 'fs-1.efs', iam: false, plainNfsAllowed: true, reason: '' },
  accessPointRoot: '/',
  instanceTypes: TYPES,
  placements: orderPlacements(ZONES, TYPES, undefined, 'fs-1'),
};
const request = {
  runId: 'r',
  stack: 'efsync',
  fileSystemId: 'fs-1',
  instanceProfile: 'p',
  timeoutMinutes: 30,
  checked: preflight,
};

/** RunInstances answers by type (any zone) or by type@subnet. */
function fake(answers: Record<string, string>) {
  const launched: string[] = [];
  const ec2 = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (command.constructor.name === 'DescribeImagesCommand') return { Images: [] };
      const { InstanceType, SubnetId } = command.input;
      launched.push(`${InstanceType}@${SubnetId}`);
      const fault = answers[`${InstanceType}@${SubnetId}`] ?? answers[String(InstanceType)];
      if (fault) throw awsError(fault);
      return { Instances: [{ InstanceId: 'i-1' }] };
    },
  };
  const ssm = { send: async () => ({ Parameter: { Value: 'ami-1' } }) };
  return { clients: { ec2, ssm, region: 'eu-west-1' } as unknown as AwsClients, launched };
}

describe('launch refusals about capacity and limits', () => {
  it('on VcpuLimitExceeded skips the other zones and the types of that class as large, and tries a smaller one', async () => {
    const { clients, launched } = fake({ 'c7g.xlarge': 'VcpuLimitExceeded' });
    const lines: string[] = [];
    expect(
      await launchInstance(
        clients,
        request,
        () => {},
        (l) => lines.push(l),
      ),
    ).toBe('i-1');
    // m7g.xlarge (4 vCPUs, Standard) cannot fit; g5g.xlarge counts against the G and VT quota: tried.
    expect(launched).toEqual(['c7g.xlarge@subnet-a', 'g5g.xlarge@subnet-a']);
    expect(lines).toContain(
      'The account\'s "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" vCPU quota has no room for ' +
        'c7g.xlarge (4 vCPUs) (VcpuLimitExceeded); another zone cannot help: trying a type with fewer vCPUs or of ' +
        'another quota class',
    );
    expect(lines).toContain(
      'Not trying m7g.xlarge in eu-west-1a (subnet-a): 4 vCPUs do not fit the "Running On-Demand Standard (A, C, D, ' +
        'H, I, M, R, T, Z) instances" quota either (c7g.xlarge was refused with VcpuLimitExceeded)',
    );
  });

  it('moves on to a type with fewer vCPUs of the same class', async () => {
    const { clients, launched } = fake({ 'c7g.xlarge': 'VcpuLimitExceeded', 'g5g.xlarge': 'VcpuLimitExceeded' });
    await launchInstance(
      clients,
      request,
      () => {},
      () => {},
    );
    expect(launched).toEqual(['c7g.xlarge@subnet-a', 'g5g.xlarge@subnet-a', 't4g.small@subnet-a']);
  });

  it('fails with one error naming the quota and the command that raises it when every type is refused', async () => {
    const { clients, launched } = fake({
      'c7g.xlarge': 'VcpuLimitExceeded',
      'g5g.xlarge': 'VcpuLimitExceeded',
      't4g.small': 'VcpuLimitExceeded',
    });
    const failure = launchInstance(
      clients,
      request,
      () => {},
      () => {},
    );
    await expect(failure).rejects.toThrow(InstanceError);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toMatch(/^Could not launch an instance: every instance type was refused by the account's limits\./);
    expect(message).toContain(
      'aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value 7 --region eu-west-1',
    );
    expect(message).toContain('"Running On-Demand G and VT instances"');
    expect(launched).toHaveLength(3);
  });

  it('leaves out a subnet without free addresses for every type', async () => {
    const { clients, launched } = fake({ 'c7g.xlarge@subnet-a': 'InsufficientFreeAddressesInSubnet' });
    await launchInstance(
      clients,
      request,
      () => {},
      () => {},
    );
    expect(launched).toEqual(['c7g.xlarge@subnet-a', 'c7g.xlarge@subnet-b']);
  });

  it('stops at an answer that is neither capacity nor limit', async () => {
    const { clients, launched } = fake({ 'c7g.xlarge': 'InvalidParameterValue' });
    await expect(
      launchInstance(
        clients,
        request,
        () => {},
        () => {},
      ),
    ).rejects.toThrow(/InvalidParameterValue/);
    expect(launched).toHaveLength(1);
  });

  it('classifies types and reads the limit from the message', () => {
    expect(quotaClass('t3.small').code).toBe('L-1216C47A');
    expect(quotaClass('p5.48xlarge')).toEqual({ name: 'Running On-Demand P instances' });
    expect(currentVcpuLimit(MESSAGE)).toBe(5);
    expect(
      limitAdvice([{ type: 'x2gd.large', code: 'VcpuLimitExceeded', message: MESSAGE, vcpus: 2 }], 'us-east-1'),
    ).toContain(
      `aws service-quotas list-service-quotas --service-code ec2 --region us-east-1 --query "Quotas[?QuotaName=='Running On-Demand X instances'].QuotaCode"`,
    );
  });
});
