import { describe, expect, it } from 'vitest';
import { formatSize } from '../src/index.js';

describe('formatSize', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1000, '1000 bytes'],
    [1024, '1 KiB'],
    [64 * 2 ** 20, '64 MiB'],
    [1.5 * 2 ** 30, '1.5 GiB'],
    [2e9, '1.86 GiB (2000000000 bytes)'],
    [2 ** 40, '1 TiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
