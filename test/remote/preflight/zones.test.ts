import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { PreflightError } from '../../../src/core/errors.js';
import { InstanceError, launchInstance } from '../../../src/remote/instance/launch.js';
import type { Preflight } from '../../../src/remote/preflight/preflight.js';
import { describePlacements, orderPlacements } from '../../../src/remote/preflight/zones.js';

const ZONES = [
  { availabilityZone: 'eu-west-1a', subnetId: 'subnet-a' },
  { availabilityZone: 'eu-west-1b', subnetId: 'subnet-b' },
];
const TYPES = [
  { type: 't4g.small', architecture: 'arm64' as const },
  { type: 't3.small', architecture: 'x86_64' as const },
];

describe('orderPlacements', () => {
  it('tries each type in every zone that offers it, zones in order, then the next type', () => {
    const offerings = new Map([
      ['eu-west-1a', new Set(['t3.small'])],
      ['eu-west-1b', new Set(['t4g.small', 't3.small'])],
    ]);
    const placements = orderPlacements(ZONES, TYPES, offerings, 'fs-1');
    expect(placements.map((p) => `${p.type}@${p.availabilityZone}/${p.subnetId}`)).toEqual([
      't4g.small@eu-west-1b/subnet-b',
      't3.small@eu-west-1a/subnet-a',
      't3.small@eu-west-1b/subnet-b',
    ]);
    expect(describePlacements(ZONES, placements, ['t4g.small', 't3.small'])).toBe(
      'Launch order: t4g.small in eu-west-1b (subnet-b), then t3.small in eu-west-1a (subnet-a), then t3.small in ' +
        'eu-west-1b (subnet-b); not offered: t4g.small in eu-west-1a',
    );
  });

  it('tries every zone when the offerings are unknown', () => {
    expect(orderPlacements(ZONES, TYPES.slice(0, 1), undefined, 'fs-1')).toHaveLength(2);
  });

  it('refuses, naming the zones and what they offer, when no zone offers any type', () => {
    const offerings = new Map([['eu-west-1a', new Set(['m5.large'])]]);
    expect(() => orderPlacements(ZONES, TYPES.slice(0, 1), offerings, 'fs-1')).toThrow(PreflightError);
    expect(() => orderPlacements(ZONES, TYPES.slice(0, 1), offerings, 'fs-1')).toThrow(
      /^Instance type t4g.small is not offered in any availability zone where fs-1 has a mount target \(eu-west-1a \(subnet-a\), eu-west-1b \(subnet-b\)\)\. .*eu-west-1a: m5.large; eu-west-1b: none of them/,
    );
  });
});

function awsError(name: string): Error {
  const error = new Error(`${name} here`);
  error.name = name;
  return error;
}

describe('launchInstance across zones', () => {
  const preflight: Preflight = {
    subnetId: 'subnet-a',
    availabilityZone: 'eu-west-1a',
    securityGroupIds: ['sg-1'],
    mount: { fileSystemId: 'fs-1', dnsName: 'fs-1.efs', iam: false, plainNfsAllowed: true, reason: '' },
    accessPointRoot: '/',
    instanceTypes: TYPES,
    placements: orderPlacements(ZONES, TYPES, undefined, 'fs-1'),
  };

  function clients(answers: Record<string, string>): { clients: AwsClients; launched: string[] } {
    const launched: string[] = [];
    const ec2 = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'DescribeImagesCommand') return { Images: [] };
        const { InstanceType, SubnetId, SecurityGroupIds } = command.input;
        launched.push(`${InstanceType}@${SubnetId}`);
        expect(SecurityGroupIds).toEqual(['sg-1']);
        const fault = answers[`${InstanceType}@${SubnetId}`];
        if (fault) throw awsError(fault);
        return { Instances: [{ InstanceId: 'i-1' }] };
      },
    };
    const ssm = { send: async () => ({ Parameter: { Value: 'ami-1' } }) };
    return { clients: { ec2, ssm } as unknown as AwsClients, launched };
  }
  const request = {
    runId: 'r',
    stack: 'efsync',
    fileSystemId: 'fs-1',
    instanceProfile: 'p',
    timeoutMinutes: 30,
    checked: preflight,
  };

  it('moves to the next zone on Unsupported and InsufficientInstanceCapacity, then to the next type', async () => {
    const { clients: c, launched } = clients({
      't4g.small@subnet-a': 'Unsupported',
      't4g.small@subnet-b': 'InsufficientInstanceCapacity',
    });
    const lines: string[] = [];
    const id = await launchInstance(
      c,
      request,
      () => {},
      (l) => lines.push(l),
    );
    expect(id).toBe('i-1');
    expect(launched).toEqual(['t4g.small@subnet-a', 't4g.small@subnet-b', 't3.small@subnet-a']);
    expect(lines.filter((l) => l.startsWith('Launching')).map((l) => l.replace(/ \(.*?\)/, ''))).toEqual([
      'Launching t4g.small in eu-west-1a (subnet-a)',
      'Launching t4g.small in eu-west-1b (subnet-b)',
      'Launching t3.small in eu-west-1a (subnet-a)',
    ]);
    expect(lines).toContain(
      't4g.small is not supported in eu-west-1a (Unsupported); trying the next zone, then the next instance type',
    );
  });

  it('moves straight to the next type on InstanceLimitExceeded', async () => {
    const { clients: c, launched } = clients({ 't4g.small@subnet-a': 'InstanceLimitExceeded' });
    await launchInstance(
      c,
      request,
      () => {},
      () => {},
    );
    expect(launched).toEqual(['t4g.small@subnet-a', 't3.small@subnet-a']);
  });

  it('names everything it tried when nothing launches', async () => {
    const all = Object.fromEntries(
      ['t4g.small@subnet-a', 't4g.small@subnet-b', 't3.small@subnet-a', 't3.small@subnet-b'].map((k) => [
        k,
        'InsufficientInstanceCapacity',
      ]),
    );
    const { clients: c } = clients(all);
    const failure = launchInstance(
      c,
      request,
      () => {},
      () => {},
    );
    await expect(failure).rejects.toThrow(InstanceError);
    await expect(failure).rejects.toThrow(
      /tried t4g.small in eu-west-1a: InsufficientInstanceCapacity; .*t3.small in eu-west-1b/,
    );
  });
});
