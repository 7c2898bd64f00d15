/**
 * Extent trees (ext4 `extents` feature): a 12-byte header followed by index entries (interior
 * nodes) or leaf extents; the root lives in the inode's i_block, deeper nodes fill whole blocks
 * and end with a 4-byte checksum tail.
 */
import { pair, struct, u16, u32 } from '@fstool/blockdev/struct';

export const EXT4_EXT_MAGIC = 0xf30a;
export const EXTENT_ENTRY_SIZE = 12;
/** Longest initialized extent (the top bit of ee_len marks an uninitialized one). */
export const EXT_INIT_MAX_LEN = 32768;

export const extentHeader = struct('ext4 extent header', 12, {
  eh_magic: u16(0x0),
  eh_entries: u16(0x2),
  eh_max: u16(0x4),
  eh_depth: u16(0x6),
  eh_generation: u32(0x8),
});

export const extentIndex = struct('ext4 extent index', EXTENT_ENTRY_SIZE, {
  ei_block: u32(0x0),
  ei_leaf: pair(u32(0x4), u16(0x8)),
  ei_unused: u16(0xa),
});

export const extentLeaf = struct('ext4 extent', EXTENT_ENTRY_SIZE, {
  ee_block: u32(0x0),
  ee_len: u16(0x4),
  ee_start: pair(u32(0x8), u16(0x6)),
});

export const extentTail = struct('ext4 extent tail', 4, { eb_checksum: u32(0x0) });

/** Entries that fit after the header in `bytes` (60 for the inode root, a block minus the tail otherwise). */
export function extentCapacity(bytes: number, inInode: boolean): number {
  return Math.floor((bytes - 12 - (inInode ? 0 : 4)) / EXTENT_ENTRY_SIZE);
}

/** Offset of the checksum tail in an extent block: right after eh_max entries. */
export function extentTailOffset(ehMax: number): number {
  return 12 + ehMax * EXTENT_ENTRY_SIZE;
}
