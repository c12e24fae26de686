import { describe, expect, it } from 'vitest';
import { autoTypes, DEFAULT_CONCURRENCY } from '../../../src/core/instance-size.js';
import { sizeInstance } from '../../../src/remote/instance/sizing.js';
import type { Preflight } from '../../../src/remote/preflight/preflight.js';
import { orderPlacements } from '../../../src/remote/preflight/zones.js';

const GB = 1e9;

describe('sizeInstance', () => {
  const zones = [
    { availabilityZone: 'eu-west-1a', subnetId: 'subnet-a' },
    { availabilityZone: 'eu-west-1b', subnetId: 'subnet-b' },
  ];
  const checked = (offered: Map<string, Set<string>> | undefined, auto = true): Preflight => {
    const instanceTypes = (auto ? autoTypes() : ['t3.small']).map((type) => ({
      type,
      architecture: 'arm64' as const,
    }));
    return {
      subnetId: 'subnet-a',
      availabilityZone: 'eu-west-1a',
      securityGroupIds: ['sg-1'],
      mount: { fileSystemId: 'fs-1', dnsName: 'fs-1.efs', iam: false, plainNfsAllowed: true, reason: '' },
      accessPointRoot: '/',
      instanceTypes,
      placements: orderPlacements(zones, instanceTypes, offered, 'fs-1'),
      ...(auto && { autoSize: true }),
    };
  };
  const order = (p: { placements?: Preflight['placements'] }) =>
    (p.placements ?? []).map((x) => `${x.type}@${x.availabilityZone}`);

  it('narrows the launch to the chosen size and the smaller ones, zones as preflight ordered them', () => {
    const sized = sizeInstance(checked(undefined), 10 * GB);
    expect(order(sized.launch)).toEqual([
      'c7g.large@eu-west-1a',
      'c7g.large@eu-west-1b',
      'm7g.large@eu-west-1a',
      'm7g.large@eu-west-1b',
      't4g.small@eu-west-1a',
      't4g.small@eu-west-1b',
    ]);
    expect(sized.launch.instanceTypes.map((t) => t.type)).toEqual(['c7g.large', 'm7g.large', 't4g.small']);
    expect(sized.launch.concurrency).toBe(38);
    expect(sized.lines[0]).toMatch(/^Instance type c7g.large \(instance-type: auto\): this run moves 10.0 GB/);
    expect(sized.lines).toContain('The agent runs 38 downloads and writes at once on c7g.large');
    expect(sized.lines.some((l) => l.startsWith('Launch order: c7g.large in eu-west-1a (subnet-a), then'))).toBe(true);
  });

  it('reuses a warm instance of the chosen size or a larger one, never a smaller one; any listed type otherwise', () => {
    const big = sizeInstance(checked(undefined), 10 * GB);
    expect(big.launch.reuseTypes.map((t) => t.type)).toEqual([
      'c7g.large',
      'm7g.large',
      'c7g.xlarge',
      'm7g.xlarge',
      'c7g.2xlarge',
      'm7g.2xlarge',
      'c7g.4xlarge',
      'm7g.4xlarge',
    ]);
    expect(sizeInstance(checked(undefined), 30_000).launch.reuseTypes.map((t) => t.type)).toEqual(autoTypes());
    expect(sizeInstance(checked(undefined, false), 10 * GB).launch.reuseTypes).toEqual([
      { type: 't3.small', architecture: 'arm64' },
    ]);
  });

  it('launches t4g.small alone for a small run', () => {
    const sized = sizeInstance(checked(undefined), 30_000);
    expect(order(sized.launch)).toEqual(['t4g.small@eu-west-1a', 't4g.small@eu-west-1b']);
    expect(sized.launch.concurrency).toBe(DEFAULT_CONCURRENCY);
  });

  it('skips a zone that does not offer a type, and takes the next type where none offers the chosen one', () => {
    const offered = new Map([
      ['eu-west-1a', new Set(['t4g.small', 'm7g.xlarge'])],
      ['eu-west-1b', new Set(['t4g.small', 'c7g.large'])],
    ]);
    const sized = sizeInstance(checked(offered), 20 * GB);
    expect(order(sized.launch)).toEqual([
      'm7g.xlarge@eu-west-1a',
      'c7g.large@eu-west-1b',
      't4g.small@eu-west-1a',
      't4g.small@eu-west-1b',
    ]);
    expect(sized.lines[1]).toBe(
      'c7g.xlarge is not offered in any zone with a mount target; launching m7g.xlarge instead',
    );
  });

  it('launches a larger size when neither the chosen one nor a smaller one is offered', () => {
    const offered = new Map([['eu-west-1a', new Set(['c7g.2xlarge'])]]);
    const sized = sizeInstance(checked(offered), 1 * GB);
    expect(order(sized.launch)).toEqual(['c7g.2xlarge@eu-west-1a']);
  });

  it('leaves the types the user chose alone, with the concurrency of the first', () => {
    const given = checked(undefined, false);
    const sized = sizeInstance(given, 100 * GB);
    expect(sized.lines).toEqual([]);
    expect(sized.launch).toEqual({
      instanceTypes: given.instanceTypes,
      placements: given.placements,
      concurrency: DEFAULT_CONCURRENCY,
      reuseTypes: given.instanceTypes,
    });
  });
});
