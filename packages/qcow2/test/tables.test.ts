import { describe, expect, it } from 'vitest';
import { nextNonZeroEntry } from '../src/format/tables.js';

describe('nextNonZeroEntry', () => {
  it('finds the first entry with any bit set, wherever it sits in a step of eight', () => {
    const table = new Uint8Array(64 * 8);
    expect(nextNonZeroEntry(table, 0, 64)).toBe(64);
    for (const [entry, byte] of [
      [0, 0],
      [7, 7],
      [8, 3],
      [21, 4],
      [63, 0],
    ] as const) {
      table[entry * 8 + byte] = 0x80;
      for (const from of [0, Math.min(5, entry), entry]) expect(nextNonZeroEntry(table, from, 64)).toBe(entry);
      expect(nextNonZeroEntry(table, entry + 1, 64)).toBe(64);
      // Stops at `to`, even inside a step.
      expect(nextNonZeroEntry(table, 0, entry)).toBe(entry);
      // An unaligned view is scanned byte by byte, with the same answer.
      const shifted = new Uint8Array(table.length + 1);
      shifted.set(table, 1);
      expect(nextNonZeroEntry(shifted.subarray(1), 0, 64)).toBe(entry);
      table[entry * 8 + byte] = 0;
    }
  });
});
