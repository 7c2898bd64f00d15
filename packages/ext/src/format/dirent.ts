/**
 * Directory blocks: linear `ext4_dir_entry_2` records, the checksum tail of leaf blocks
 * (metadata_csum), and the htree (dir_index) interior nodes: dx root, dx node, count/limit,
 * dx entries and the dx tail.
 */
import { struct, u8, u16, u32 } from '@fstool/blockdev/struct';

/** The fixed part of a directory entry; the name (name_len bytes) follows at offset 8. */
export const dirEntry = struct('ext4 dir entry', 8, {
  inode: u32(0x0),
  rec_len: u16(0x4),
  name_len: u8(0x6),
  file_type: u8(0x7),
});

/** Record length of an entry with a name of `nameLen` bytes: 8 + name, rounded up to 4. */
export function direntSize(nameLen: number): number {
  return (8 + nameLen + 3) & ~3;
}

/** file_type in directory entries (filetype feature). */
export const FT = {
  unknown: 0,
  file: 1,
  dir: 2,
  char: 3,
  block: 4,
  fifo: 5,
  socket: 6,
  symlink: 7,
} as const;

/** The fake entry that ends a leaf block with metadata_csum: inode 0, rec_len 12, file_type 0xde. */
export const dirTail = struct('ext4 dir entry tail', 12, {
  det_reserved_zero1: u32(0x0),
  det_rec_len: u16(0x4),
  det_reserved_zero2: u8(0x6),
  det_reserved_ft: u8(0x7),
  det_checksum: u32(0x8),
});
export const DIR_TAIL_SIZE = 12;
export const DIR_TAIL_FT = 0xde;

/**
 * The dx root: '.' and '..' entries (the latter's rec_len spans the block) then dx_root_info and
 * the count/limit header of the dx entries.
 */
export const dxRoot = struct('ext4 dx root', 0x20, {
  dot_inode: u32(0x00),
  dot_rec_len: u16(0x04),
  dot_name_len: u8(0x06),
  dot_file_type: u8(0x07),
  dot_name: u32(0x08),
  dotdot_inode: u32(0x0c),
  dotdot_rec_len: u16(0x10),
  dotdot_name_len: u8(0x12),
  dotdot_file_type: u8(0x13),
  dotdot_name: u32(0x14),
  reserved_zero: u32(0x18),
  hash_version: u8(0x1c),
  info_length: u8(0x1d),
  indirect_levels: u8(0x1e),
  unused_flags: u8(0x1f),
});
/** Where the dx entries (starting with count/limit) begin in a root block. */
export const DX_ROOT_ENTRIES = 0x20;

/** An interior htree node: an empty entry spanning the block, then count/limit. */
export const dxNode = struct('ext4 dx node', 8, {
  fake_inode: u32(0x0),
  fake_rec_len: u16(0x4),
  name_len: u8(0x6),
  file_type: u8(0x7),
});
export const DX_NODE_ENTRIES = 8;

/** The first dx entry: its hash slot holds limit and count; block is the child for hashes below the next entry. */
export const dxCountLimit = struct('ext4 dx countlimit', 8, {
  limit: u16(0x0),
  count: u16(0x2),
  block: u32(0x4),
});

export const dxEntry = struct('ext4 dx entry', 8, {
  hash: u32(0x0),
  block: u32(0x4),
});
export const DX_ENTRY_SIZE = 8;

/** Checksum tail of dx nodes (metadata_csum), right after the last of `limit` entries. */
export const dxTail = struct('ext4 dx tail', 8, {
  dt_reserved: u32(0x0),
  dt_checksum: u32(0x4),
});
export const DX_TAIL_SIZE = 8;

/** Maximum htree depth below the root without large_dir (indirect_levels 0 or 1). */
export const DX_MAX_LEVELS = 2;
