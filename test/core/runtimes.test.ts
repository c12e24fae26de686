import { describe, expect, it } from 'vitest';
import { deprecationWarning, findRuntime, PYTHON_RUNTIMES } from '../../src/core/runtimes.js';

describe('Lambda Python runtimes', () => {
  it('covers 3.10 to 3.14, on the OS and glibc of each', () => {
    expect(PYTHON_RUNTIMES.map((r) => `${r.version} ${r.os} ${r.glibc.join('.')}`)).toEqual([
      '3.10 Amazon Linux 2 2.26',
      '3.11 Amazon Linux 2 2.26',
      '3.12 Amazon Linux 2023 2.34',
      '3.13 Amazon Linux 2023 2.34',
      '3.14 Amazon Linux 2023 2.34',
    ]);
  });

  it('warns from the deprecation date on', () => {
    const runtime = findRuntime('3.11');
    if (!runtime) throw new Error('3.11 missing');
    expect(deprecationWarning(runtime, new Date('2027-06-29T23:00:00Z'))).toBeUndefined();
    expect(deprecationWarning(runtime, new Date('2027-06-30T00:00:00Z'))).toBe(
      "python3.11 is deprecated on AWS Lambda since 2027-06-30: functions on it get no security patches and will soon be blocked from updates. Move them to python3.14 and set python-version to '3.14'.",
    );
  });
});
