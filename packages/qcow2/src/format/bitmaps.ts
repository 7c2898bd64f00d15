/**
 * Persistent dirty bitmaps (spec: "Bitmaps extension"); only what a refcount check needs to count
 * their clusters: the extension, the bitmap directory entries and the bitmap tables.
 */
import { struct, u8, u16, u32, u64 } from '@fstool/blockdev/struct';

export const bitmapsExtension = struct.be('qcow2 bitmaps extension', 24, {
  nbBitmaps: u32(0),
  reserved: u32(4),
  directorySize: u64(8),
  directoryOffset: u64(16),
});

export const bitmapDirectoryEntry = struct.be('qcow2 bitmap directory entry', 24, {
  tableOffset: u64(0),
  tableSize: u32(8),
  flags: u32(12),
  type: u8(16),
  granularityBits: u8(17),
  nameSize: u16(18),
  extraDataSize: u32(20),
});

/** Bytes one directory entry occupies: fixed part, extra data and name, padded to 8. */
export function bitmapEntryLength(e: { nameSize: number; extraDataSize: number }): number {
  return Math.ceil((bitmapDirectoryEntry.size + e.extraDataSize + e.nameSize) / 8) * 8;
}

/** QEMU's limits, so a hostile directory cannot ask for more. */
export const MAX_BITMAP_DIRECTORY = 64 * 1024 * 1024;
