import { describe, expect, it } from 'vitest';
import { CorruptError, InvalidArgumentError } from '../src/errors.js';
import { bytes, hasFlag, i32, pair, struct, u8, u16, u32, u64 } from '../src/struct.js';

const demo = struct('demo', 32, {
  magic: bytes(0, 4),
  version: u16(4),
  flags: u8(6),
  delta: i32(8),
  count: pair(u32(12), u16(16)),
  offset: u64(24),
});

describe('struct', () => {
  it('round-trips every field kind at its offset, little-endian', () => {
    const value = {
      magic: new Uint8Array([1, 2, 3, 4]),
      version: 0x1234,
      flags: 0x80,
      delta: -5,
      count: 2 ** 40 + 7,
      offset: 2 ** 52 + 3,
    };
    const buf = demo.create(value);
    expect(buf.length).toBe(32);
    expect([...buf.subarray(4, 6)]).toEqual([0x34, 0x12]);
    expect([...buf.subarray(12, 18)]).toEqual([7, 0, 0, 0, 0, 1]);
    expect(demo.decode(buf)).toEqual(value);
  });

  it('is big-endian with struct.be, and works at an offset inside a larger buffer', () => {
    const be = struct.be('be', 8, { a: u32(0), b: u16(4) });
    const buf = new Uint8Array(20);
    be.encode({ a: 0x01020304, b: 0x0506 }, buf, 10);
    expect([...buf.subarray(10, 16)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(be.get(buf.subarray(2), 8, 'a')).toBe(0x01020304);
  });

  it('rejects overlapping or out-of-bounds definitions when declared', () => {
    expect(() => struct('bad', 8, { a: u32(0), b: u32(2) })).toThrow('bad.b overlaps bad.a');
    expect(() => struct('bad', 8, { a: u64(4) })).toThrow('outside the 8-byte structure');
  });

  it('reports 64-bit values past 2^53 as corruption and refuses to encode values that do not fit', () => {
    const buf = new Uint8Array(32).fill(0xff);
    expect(() => demo.get(buf, 0, 'offset')).toThrow(CorruptError);
    expect(() => demo.set(buf, 0, 'version', 0x10000)).toThrow(InvalidArgumentError);
    expect(() => demo.decode(new Uint8Array(16))).toThrow('needs 32 bytes');
  });

  it('patch writes only the given fields', () => {
    const buf = new Uint8Array(32).fill(9);
    demo.patch({ version: 1 }, buf);
    expect(buf[4]).toBe(1);
    expect(buf[0]).toBe(9);
  });

  it('hasFlag works on bit 31', () => {
    expect(hasFlag(0x80000001, 0x80000000)).toBe(true);
    expect(hasFlag(0x1, 0x80000000)).toBe(false);
  });
});
