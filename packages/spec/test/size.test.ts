import { describe, expect, it } from 'vitest';
import { parseSize, SpecError } from '../src/index.js';

describe('parseSize', () => {
  it.each([
    ['64MiB', 64 * 2 ** 20],
    ['1G', 2 ** 30],
    ['1g', 2 ** 30],
    ['512K', 512 * 1024],
    ['2GB', 2e9],
    ['100kB', 100_000],
    ['4TiB', 4 * 2 ** 40],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['4096', 4096],
    ['512B', 512],
    [' 8 MiB ', 8 * 2 ** 20],
    [4096, 4096],
    ['4G', 4294967296],
    ['8P', 8 * 2 ** 50],
  ])('%j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['64XB', 'size must be a size like "64MiB", "1G", "512K" or a number of bytes, got "64XB"'],
    ['0.3K', 'size must be a whole number of bytes, got "0.3K"'],
    ['', 'size must be a size like "64MiB", "1G", "512K" or a number of bytes, got ""'],
    [-1, 'size must be a whole, non-negative number of bytes or a string like "64MiB", got -1'],
    [1.5, 'size must be a whole, non-negative number of bytes or a string like "64MiB", got 1.5'],
    ['16EiB', 'size must be at most 2^53 bytes, got "16EiB"'],
    ['auto', 'size must be a size like "64MiB", "1G", "512K" or a number of bytes, got "auto"'],
  ])('rejects %j', (text, message) => {
    const err = (() => {
      try {
        parseSize(text);
      } catch (e) {
        return e as SpecError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(SpecError);
    expect(err.code).toBe('SPEC');
    expect(err.issues).toEqual([{ path: '', message }]);
  });
});
