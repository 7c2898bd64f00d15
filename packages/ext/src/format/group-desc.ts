/**
 * Block group descriptors: 32 bytes without the 64bit feature, `s_desc_size` (64) bytes with it.
 * The table follows the superblock in group 0 (and its backups); one entry per group.
 */
import { pair, struct, u16, u32 } from '@fstool/blockdev/struct';

export const GROUP_DESC_SIZE = 32;
export const GROUP_DESC_SIZE_64BIT = 64;

/** The 32-byte descriptor of filesystems without 64bit. */
export const groupDesc32 = struct('ext4 group descriptor', GROUP_DESC_SIZE, {
  bg_block_bitmap: u32(0x00),
  bg_inode_bitmap: u32(0x04),
  bg_inode_table: u32(0x08),
  bg_free_blocks_count: u16(0x0c),
  bg_free_inodes_count: u16(0x0e),
  bg_used_dirs_count: u16(0x10),
  bg_flags: u16(0x12),
  bg_exclude_bitmap: u32(0x14),
  bg_block_bitmap_csum: u16(0x18),
  bg_inode_bitmap_csum: u16(0x1a),
  bg_itable_unused: u16(0x1c),
  bg_checksum: u16(0x1e),
});

/** The 64-byte descriptor of 64bit filesystems: the same fields with their `_hi` halves joined. */
export const groupDesc64 = struct('ext4 group descriptor (64bit)', GROUP_DESC_SIZE_64BIT, {
  bg_block_bitmap: pair(u32(0x00), u32(0x20)),
  bg_inode_bitmap: pair(u32(0x04), u32(0x24)),
  bg_inode_table: pair(u32(0x08), u32(0x28)),
  bg_free_blocks_count: pair(u16(0x0c), u16(0x2c)),
  bg_free_inodes_count: pair(u16(0x0e), u16(0x2e)),
  bg_used_dirs_count: pair(u16(0x10), u16(0x30)),
  bg_flags: u16(0x12),
  bg_exclude_bitmap: pair(u32(0x14), u32(0x34)),
  bg_block_bitmap_csum: pair(u16(0x18), u16(0x38)),
  bg_inode_bitmap_csum: pair(u16(0x1a), u16(0x3a)),
  bg_itable_unused: pair(u16(0x1c), u16(0x32)),
  bg_checksum: u16(0x1e),
});

export type GroupDesc = ReturnType<typeof groupDesc64.decode>;

/** The codec for a descriptor size (32, or 64 and up with 64bit). */
export function groupDescCodec(descSize: number): typeof groupDesc64 {
  return (descSize >= GROUP_DESC_SIZE_64BIT ? groupDesc64 : groupDesc32) as typeof groupDesc64;
}

/** bg_flags */
export const BG_FLAGS = { inode_uninit: 0x1, block_uninit: 0x2, inode_zeroed: 0x4 } as const;
