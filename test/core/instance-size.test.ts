import { describe, expect, it } from 'vitest';
import {
  agentConcurrency,
  autoTypes,
  bytesPerSecond,
  chooseSize,
  DEFAULT_CONCURRENCY,
  describeChoice,
  MAX_CONCURRENCY,
  SIZES,
  sizeOf,
  TARGET_SECONDS,
} from '../../src/core/instance-size.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load, loadError } from '../support/config.ts';

const GB = 1e9;

describe('the table of sizes', () => {
  it('holds AWS figures, smallest first, bandwidth growing with the size', () => {
    // DescribeInstanceTypes, NetworkInfo.NetworkCards[0]: BaselineBandwidthInGbps / PeakBandwidthInGbps.
    expect(SIZES.map((s) => `${s.type} ${s.vcpus} ${s.baselineGbps}/${s.burstGbps}`)).toEqual([
      't4g.small 2 0.128/5',
      'c7g.large 2 0.937/12.5',
      'c7g.xlarge 4 1.876/12.5',
      'c7g.2xlarge 8 3.75/15',
      'c7g.4xlarge 16 7.5/15',
    ]);
    for (const [i, size] of SIZES.entries())
      if (i > 0) expect(size.baselineGbps).toBeGreaterThan(SIZES[i - 1]?.baselineGbps ?? 0);
  });

  it('offers every type to preflight, all Graviton', () => {
    expect(autoTypes()).toEqual([
      't4g.small',
      'c7g.large',
      'm7g.large',
      'c7g.xlarge',
      'm7g.xlarge',
      'c7g.2xlarge',
      'm7g.2xlarge',
      'c7g.4xlarge',
      'm7g.4xlarge',
    ]);
    expect(sizeOf('m7g.xlarge')?.type).toBe('c7g.xlarge');
    expect(sizeOf('t3.small')).toBeUndefined();
  });
});

describe('chooseSize', () => {
  it('keeps t4g.small for small runs, nothing to fall back on', () => {
    for (const bytes of [0, 30_000, 1 * GB]) {
      const choice = chooseSize(bytes);
      expect(choice.size.type).toBe('t4g.small');
      expect(choice.types).toEqual(['t4g.small']);
    }
  });

  it('takes the smallest size whose baseline moves the bytes within the target', () => {
    const at = (type: string) => bytesPerSecond(sizeOf(type)?.baselineGbps ?? 0) * TARGET_SECONDS;
    expect(chooseSize(at('t4g.small')).size.type).toBe('t4g.small');
    expect(chooseSize(at('t4g.small') + 1).size.type).toBe('c7g.large');
    expect(chooseSize(10 * GB).size.type).toBe('c7g.large');
    expect(chooseSize(20 * GB).size.type).toBe('c7g.xlarge');
    expect(chooseSize(50 * GB).size.type).toBe('c7g.2xlarge');
    expect(chooseSize(100 * GB).size.type).toBe('c7g.4xlarge');
    for (const bytes of [2 * GB, 20 * GB, 50 * GB, 100 * GB])
      expect(chooseSize(bytes).transferSeconds).toBeLessThanOrEqual(TARGET_SECONDS);
  });

  it('takes the largest beyond the table, and says the transfer takes longer', () => {
    const choice = chooseSize(500 * GB);
    expect(choice.size.type).toBe('c7g.4xlarge');
    expect(choice.transferSeconds).toBeCloseTo((500 * GB) / (7.5e9 / 8));
    expect(describeChoice(choice)).toContain('(the largest of the table)');
  });

  it('falls back to the same size of m7g, then each smaller size, down to t4g.small', () => {
    expect(chooseSize(20 * GB).types).toEqual(['c7g.xlarge', 'm7g.xlarge', 'c7g.large', 'm7g.large', 't4g.small']);
  });

  it('says which type, for how many bytes, at what bandwidth, and the fallbacks', () => {
    expect(describeChoice(chooseSize(20 * GB))).toBe(
      "Instance type c7g.xlarge (instance-type: auto): this run moves 20.0 GB; at c7g.xlarge's baseline 1.876 Gbps " +
        'that is about 86 s (the smallest whose baseline moves them within 120 s); if EC2 has no capacity: ' +
        'm7g.xlarge, c7g.large, m7g.large, t4g.small',
    );
    expect(describeChoice(chooseSize(26_500))).toBe(
      "Instance type t4g.small (instance-type: auto): this run moves 0.000 GB; at t4g.small's baseline 0.128 Gbps " +
        'that is about 1 s (the smallest whose baseline moves them within 120 s)',
    );
  });
});

describe('agentConcurrency', () => {
  it('fills the burst bandwidth with downloads, within the default and the agent cap', () => {
    expect(agentConcurrency('t4g.small')).toBe(DEFAULT_CONCURRENCY);
    expect(agentConcurrency('c7g.large')).toBe(38);
    expect(agentConcurrency('m7g.2xlarge')).toBe(45);
    expect(agentConcurrency('t3.small')).toBe(DEFAULT_CONCURRENCY);
    expect(agentConcurrency(undefined)).toBe(DEFAULT_CONCURRENCY);
    for (const size of SIZES) expect(agentConcurrency(size.type)).toBeLessThanOrEqual(MAX_CONCURRENCY);
  });
});

describe('instance-type: auto', () => {
  it('is the default, and reads as no list of types', () => {
    expect(load(INPUTS.LOCAL).config.fileSystem.instanceTypes).toEqual([]);
    expect(load({ ...INPUTS.LOCAL, 'instance-type': 'AUTO' }).config.fileSystem.instanceTypes).toEqual([]);
    expect(load({ ...INPUTS.LOCAL, 'instance-type': 't4g.small' }).config.fileSystem.instanceTypes).toEqual([
      't4g.small',
    ]);
  });

  it('stands alone', () => {
    expect(loadError({ ...INPUTS.LOCAL, 'instance-type': 'auto,t3.small' })).toContain(
      "Input 'instance-type': 'auto,t3.small' mixes auto with instance types. Write auto alone, or only instance types.",
    );
  });
});

describe('the README', () => {
  it('shows the table of sizes the code chooses from', async () => {
    const fs = await import('node:fs');
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const size of SIZES) {
      const moved = (bytesPerSecond(size.baselineGbps) * TARGET_SECONDS) / GB;
      const row = [
        size.type,
        size.others.join(', ') || '–',
        size.vcpus,
        size.baselineGbps,
        size.burstGbps,
        `${moved.toFixed(1)} GB`,
        agentConcurrency(size.type),
      ].join(' | ');
      expect(readme).toContain(`| ${row} |`);
    }
    expect(readme).toContain(`moves them within ${TARGET_SECONDS / 60} minutes`);
  });
});
