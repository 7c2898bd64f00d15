import { describe, expect, it } from 'vitest';
import { nextNonZeroEntry } from '../src/format/tables.js';

describe('nextNonZeroEntry', () => {
  it('finds the first entry with any bit set, inside a skipped span or on its edges', () => {
    const n = 2048;
    const table = new Uint8Array(n * 8);
    expect(nextNonZeroEntry(table, 0, n)).toBe(n);
    for (const [entry, byte] of [
      [0, 0],
      [7, 7],
      [8, 3],
      [511, 4],
      [512, 0],
      [1500, 6],
      [n - 1, 0],
    ] as const) {
      table[entry * 8 + byte] = 0x80;
      for (const from of [0, Math.min(5, entry), Math.min(600, entry), entry]) {
        expect(nextNonZeroEntry(table, from, n)).toBe(entry);
      }
      expect(nextNonZeroEntry(table, entry + 1, n)).toBe(n);
      // Stops at `to`, even inside a span.
      expect(nextNonZeroEntry(table, 0, entry)).toBe(entry);
      // An unaligned view gives the same answer.
      const shifted = new Uint8Array(table.length + 1);
      shifted.set(table, 1);
      expect(nextNonZeroEntry(shifted.subarray(1), 0, n)).toBe(entry);
      table[entry * 8 + byte] = 0;
    }
  });
});
