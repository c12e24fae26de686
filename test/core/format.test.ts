import { describe, expect, it } from 'vitest';
import { formatBytes, mib } from '../../src/core/format.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1048575, '1024.0 KiB'],
    [1048576, '1.0 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
    [2.25 * 1024 ** 4, '2.3 TiB'],
    // TiB is the largest unit.
    [1024 ** 5, '1024.0 TiB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('mib', () => {
  it.each([
    [0, '0.0'],
    [1048576, '1.0'],
    [1572864, '1.5'],
    [104857, '0.1'],
  ])('%d bytes is %s MiB', (bytes, text) => {
    expect(mib(bytes)).toBe(text);
  });
});
