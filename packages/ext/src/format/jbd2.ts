/**
 * The JBD2 journal superblock (big-endian, first block of the journal). v2 superblocks carry the
 * feature words; checksum v3 stores a crc32c of the superblock in s_checksum.
 */
import { bytes, i32, struct, u8, u16, u32, u64 } from '@fstool/blockdev/struct';

export const JBD2_MAGIC = 0xc03b3998;
export const JOURNAL_SUPERBLOCK_SIZE = 1024;

/** h_blocktype */
export const JBD2_BLOCKTYPE = {
  descriptor: 1,
  commit: 2,
  superblock_v1: 3,
  superblock_v2: 4,
  revoke: 5,
} as const;

export const journalSuperblock = struct.be('jbd2 superblock', JOURNAL_SUPERBLOCK_SIZE, {
  h_magic: u32(0x00),
  h_blocktype: u32(0x04),
  h_sequence: u32(0x08),
  s_blocksize: u32(0x0c),
  s_maxlen: u32(0x10),
  s_first: u32(0x14),
  s_sequence: u32(0x18),
  s_start: u32(0x1c),
  s_errno: i32(0x20),
  s_feature_compat: u32(0x24),
  s_feature_incompat: u32(0x28),
  s_feature_ro_compat: u32(0x2c),
  s_uuid: bytes(0x30, 16),
  s_nr_users: u32(0x40),
  s_dynsuper: u32(0x44),
  s_max_transaction: u32(0x48),
  s_max_trans_data: u32(0x4c),
  s_checksum_type: u8(0x50),
  s_num_fc_blks: u32(0x54),
  s_head: u32(0x58),
  s_checksum: u32(0xfc),
  /** Up to 48 filesystem UUIDs sharing an external journal (16 bytes each). */
  s_users: bytes(0x100, 16 * 48),
});

export type JournalSuperblock = ReturnType<typeof journalSuperblock.decode>;

export const JBD2_FEATURE_COMPAT = { checksum: 0x1 } as const;
export const JBD2_FEATURE_INCOMPAT = {
  revoke: 0x1,
  '64bit': 0x2,
  async_commit: 0x4,
  csum_v2: 0x8,
  csum_v3: 0x10,
  fast_commit: 0x20,
} as const;
/** s_checksum_type */
export const JBD2_CRC32C_CHKSUM = 4;

/** The header every journal metadata block (descriptor, commit, revoke) starts with. */
export const journalHeader = struct.be('jbd2 block header', 12, {
  h_magic: u32(0x00),
  h_blocktype: u32(0x04),
  h_sequence: u32(0x08),
});

/**
 * A descriptor block tag without csum_v3: 8 bytes, or 12 with the `64bit` journal feature
 * (t_blocknr_high). csum_v2 keeps the low 16 bits of the block's checksum in t_checksum.
 */
export const journalBlockTag = struct.be('jbd2 block tag', 12, {
  t_blocknr: u32(0x00),
  t_checksum: u16(0x04),
  t_flags: u16(0x06),
  t_blocknr_high: u32(0x08),
});

/** A descriptor block tag with csum_v3: 16 bytes, a full crc32c of the block. */
export const journalBlockTag3 = struct.be('jbd2 block tag3', 16, {
  t_blocknr: u32(0x00),
  t_flags: u32(0x04),
  t_blocknr_high: u32(0x08),
  t_checksum: u32(0x0c),
});

/** t_flags */
export const JBD2_FLAG = {
  /** The block began with the JBD2 magic, zeroed in its journal copy. */
  escape: 1,
  /** No 16-byte UUID follows this tag (every tag but a descriptor's first). */
  same_uuid: 2,
  deleted: 4,
  last_tag: 8,
} as const;

/** csum_v2/v3: a crc32c of the descriptor block in its last 4 bytes. */
export const JBD2_TAIL_SIZE = 4;

/** The commit block (csum_v2/v3: h_chksum[0] is a crc32c of the block with it zeroed). */
export const journalCommit = struct.be('jbd2 commit block', 0x3c, {
  h_magic: u32(0x00),
  h_blocktype: u32(0x04),
  h_sequence: u32(0x08),
  h_chksum_type: u8(0x0c),
  h_chksum_size: u8(0x0d),
  h_chksum0: u32(0x10),
  h_commit_sec: u64(0x30),
  h_commit_nsec: u32(0x38),
});
