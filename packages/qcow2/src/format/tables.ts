/**
 * Entries of the qcow2 lookup tables (spec: "Cluster mapping", "Refcounts"). Entries are 64-bit
 * big-endian words whose flags live in the top bits, so they are read as two 32-bit halves: a
 * plain u64 field would reject the flag bits as too large.
 */
import { CorruptError, isZero } from '@fstool/blockdev';
import { struct, u8, u16, u32, u64 } from '@fstool/blockdev/struct';

/** One L1 or L2 entry (and one word of a 64-bit refcount block). */
export const tableEntry = struct.be('qcow2 table entry', 8, { hi: u32(0), lo: u32(4) });
/** One refcount table entry: the offset of a refcount block (bits 9..63; the low 9 are reserved). */
export const reftableEntry = struct.be('qcow2 refcount table entry', 8, { offset: u64(0) });

const COPIED = 0x80000000; // bit 63: refcount is exactly 1
const COMPRESSED = 0x40000000; // bit 62
const ZERO = 1; // bit 0 (v3)
const OFFSET_HI_MASK = 0x00ffffff; // bits 32..55
const OFFSET_LO_MASK = 0xfffffe00; // bits 9..31
const TWO32 = 2 ** 32;

/** Offset field (bits 9..55) of an L1 or standard L2 entry. */
export function entryOffset(table: Uint8Array, i: number): number {
  const hi = tableEntry.get(table, i * 8, 'hi');
  const lo = tableEntry.get(table, i * 8, 'lo');
  return (hi & OFFSET_HI_MASK) * TWO32 + ((lo & OFFSET_LO_MASK) >>> 0);
}

/** The COPIED flag (bit 63) of an L1 or L2 entry: set exactly when the cluster's refcount is 1. */
export function entryCopied(table: Uint8Array, i: number): boolean {
  return (tableEntry.get(table, i * 8, 'hi') & COPIED) !== 0;
}

export function setEntryCopied(table: Uint8Array, i: number, copied: boolean): void {
  const hi = tableEntry.get(table, i * 8, 'hi');
  tableEntry.set(table, i * 8, 'hi', (copied ? hi | COPIED : hi & ~COPIED) >>> 0);
}

/** Entries skipped with one zero test: 4 KiB of table. */
const SKIP_SPAN = 512;

/**
 * The index of the first entry in [from, to) of a table whose 64 bits are not all zero (`to` when
 * there is none): an all-zero L2 entry is an unallocated cluster, so a map walk skips runs of them
 * a span at a time (`isZero`, native under Node) instead of decoding each.
 */
export function nextNonZeroEntry(table: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; ) {
    if (!entryZero(table, i)) return i;
    const end = Math.min(to, (Math.floor(i / SKIP_SPAN) + 1) * SKIP_SPAN);
    if (isZero(table.subarray(i * 8, end * 8))) {
      i = end;
      continue;
    }
    for (i++; i < end; i++) if (!entryZero(table, i)) return i;
  }
  return to;
}

function entryZero(t: Uint8Array, i: number): boolean {
  const b = i * 8;
  return ((t[b] as number) | t[b + 1]! | t[b + 2]! | t[b + 3]! | t[b + 4]! | t[b + 5]! | t[b + 6]! | t[b + 7]!) === 0;
}

export type L2Kind = 'unallocated' | 'zero' | 'normal' | 'compressed';

export interface L2Entry {
  kind: L2Kind;
  /** Host offset: the cluster for `normal`/`zero` (0 = none), the byte for `compressed`. */
  offset: number;
  /** Compressed clusters: bytes to read at `offset`. */
  compressedSize: number;
  copied: boolean;
}

/** Decodes entry `i` of an L2 table. `clusterBits` sizes the compressed descriptor's fields. */
export function readL2(table: Uint8Array, i: number, clusterBits: number, v3: boolean): L2Entry {
  const hi = tableEntry.get(table, i * 8, 'hi');
  const lo = tableEntry.get(table, i * 8, 'lo');
  const copied = (hi & COPIED) !== 0;
  if (hi & COMPRESSED) {
    // Bits 0..x-1 hold the byte offset, bits x..61 the count of extra 512-byte sectors.
    const x = 62 - (clusterBits - 8);
    const hiOffBits = x - 32;
    const offset = (hi & ((1 << hiOffBits) - 1)) * TWO32 + lo;
    const sectors = ((hi >>> hiOffBits) & ((1 << (clusterBits - 8)) - 1)) + 1;
    return { kind: 'compressed', offset, compressedSize: sectors * 512 - (offset % 512), copied };
  }
  const offset = (hi & OFFSET_HI_MASK) * TWO32 + ((lo & OFFSET_LO_MASK) >>> 0);
  if (v3 && lo & ZERO) return { kind: 'zero', offset, compressedSize: 0, copied };
  return { kind: offset === 0 ? 'unallocated' : 'normal', offset, compressedSize: 0, copied };
}

/** Writes an L1 entry or a standard L2 entry: `offset` (cluster aligned), COPIED when `copied`, ZERO when `zero`. */
export function writeEntry(table: Uint8Array, i: number, offset: number, copied: boolean, zero = false): void {
  const hi = Math.floor(offset / TWO32);
  tableEntry.encode(
    { hi: (copied ? hi | COPIED : hi) >>> 0, lo: ((offset % TWO32) | (zero ? ZERO : 0)) >>> 0 },
    table,
    i * 8,
  );
}

/** Writes a compressed-cluster descriptor for `size` bytes of deflate data at byte `offset`. */
export function writeCompressed(table: Uint8Array, i: number, clusterBits: number, offset: number, size: number): void {
  const x = 62 - (clusterBits - 8);
  const hiOffBits = x - 32;
  const sectors = Math.ceil(((offset % 512) + size) / 512) - 1;
  const hi = (COMPRESSED | (sectors << hiOffBits) | Math.floor(offset / TWO32)) >>> 0;
  tableEntry.encode({ hi, lo: offset % TWO32 }, table, i * 8);
}

/** Offset of the refcount block in refcount table slot `i` (0 = none). */
export function reftableOffset(table: Uint8Array, i: number): number {
  const off = reftableEntry.get(table, i * 8, 'offset');
  return off - (off % 512);
}

export function setReftableOffset(table: Uint8Array, i: number, offset: number): void {
  reftableEntry.set(table, i * 8, 'offset', offset);
}

/** Reads and writes the refcount entries of a block, for refcount_order 0..6 (1- to 64-bit counts). */
export interface RefcountCodec {
  readonly bits: number;
  readonly max: number;
  get(block: Uint8Array, i: number): number;
  set(block: Uint8Array, i: number, value: number): void;
}

const refcount8 = struct.be('qcow2 8-bit refcount', 1, { n: u8(0) });
const refcount16 = struct.be('qcow2 16-bit refcount', 2, { n: u16(0) });
const refcount32 = struct.be('qcow2 32-bit refcount', 4, { n: u32(0) });

export function refcountCodec(order: number): RefcountCodec {
  const bits = 2 ** order;
  const whole = (s: typeof refcount8): RefcountCodec => ({
    bits,
    max: 2 ** bits - 1,
    get: (b, i) => s.get(b, i * s.size, 'n'),
    set: (b, i, v) => s.set(b, i * s.size, 'n', v),
  });
  if (bits === 8) return whole(refcount8);
  if (bits === 16) return whole(refcount16);
  if (bits === 32) return whole(refcount32);
  if (bits === 64) {
    return {
      bits,
      max: Number.MAX_SAFE_INTEGER,
      get(b, i) {
        const hi = tableEntry.get(b, i * 8, 'hi');
        if (hi >= 2 ** 21) throw new CorruptError(`qcow2 refcount block: entry ${i} is too large`);
        return hi * TWO32 + tableEntry.get(b, i * 8, 'lo');
      },
      set: (b, i, v) => tableEntry.encode({ hi: Math.floor(v / TWO32), lo: v % TWO32 }, b, i * 8),
    };
  }
  // 1, 2 or 4 bits: several entries per byte, the first entry in the least significant bits.
  const perByte = 8 / bits;
  const mask = 2 ** bits - 1;
  return {
    bits,
    max: mask,
    get: (b, i) => ((b[Math.floor(i / perByte)] ?? 0) >>> ((i % perByte) * bits)) & mask,
    set(b, i, v) {
      const at = Math.floor(i / perByte);
      const shift = (i % perByte) * bits;
      b[at] = ((b[at] ?? 0) & ~(mask << shift)) | (v << shift);
    },
  };
}
