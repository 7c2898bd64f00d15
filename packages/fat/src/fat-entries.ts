/**
 * Entries of the file allocation table: 12-bit (packed, two per three bytes), 16-bit or 28-bit
 * (in a 32-bit slot whose top four bits are preserved) cluster numbers.
 */
import { dataView } from '@fstool/blockdev/struct';
import type { FatType } from './geometry.js';

/** End-of-chain marker written by fstool, per type. */
export const EOC: Record<FatType, number> = { 12: 0xfff, 16: 0xffff, 32: 0x0fffffff };
/** Values at or above this end a chain; BAD is the bad-cluster mark. */
export const EOC_MIN: Record<FatType, number> = { 12: 0xff8, 16: 0xfff8, 32: 0x0ffffff8 };
export const BAD: Record<FatType, number> = { 12: 0xff7, 16: 0xfff7, 32: 0x0ffffff7 };

/** Bytes of FAT that hold entries [0, count). */
export function fatBytes(type: FatType, count: number): number {
  return type === 12 ? Math.ceil((count * 3) / 2) : count * (type / 8);
}

export function getEntry(buf: Uint8Array, type: FatType, i: number): number {
  const dv = dataView(buf);
  const base = buf.byteOffset;
  if (type === 16) return dv.getUint16(base + i * 2, true);
  if (type === 32) return dv.getUint32(base + i * 4, true) & 0x0fffffff;
  const off = base + Math.floor((i * 3) / 2);
  const v = dv.getUint8(off) | (dv.getUint8(off + 1) << 8);
  return i & 1 ? v >> 4 : v & 0xfff;
}

export function setEntry(buf: Uint8Array, type: FatType, i: number, value: number): void {
  const dv = dataView(buf);
  const base = buf.byteOffset;
  if (type === 16) {
    dv.setUint16(base + i * 2, value, true);
    return;
  }
  if (type === 32) {
    const at = base + i * 4;
    dv.setUint32(at, ((dv.getUint32(at, true) & 0xf0000000) | (value & 0x0fffffff)) >>> 0, true);
    return;
  }
  const off = base + Math.floor((i * 3) / 2);
  const v = dv.getUint8(off) | (dv.getUint8(off + 1) << 8);
  const next = i & 1 ? (v & 0x000f) | ((value & 0xfff) << 4) : (v & 0xf000) | (value & 0xfff);
  dv.setUint8(off, next & 0xff);
  dv.setUint8(off + 1, next >> 8);
}

/** The two reserved entries: FAT[0] holds the media byte, FAT[1] an end-of-chain mark. */
export function setReservedEntries(buf: Uint8Array, type: FatType, media: number): void {
  setEntry(buf, type, 0, (EOC[type] & ~0xff) | media);
  setEntry(buf, type, 1, EOC[type]);
}
