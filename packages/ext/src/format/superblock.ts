/**
 * The ext2/3/4 superblock (1024 bytes at byte 1024 of the filesystem; backups at the start of
 * some groups). Field names and offsets follow the kernel's ext4 disk-layout documentation.
 */
import { bytes, i16, pair, struct, u8, u16, u32, u64 } from '@fstool/blockdev/struct';

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT4_SUPER_MAGIC = 0xef53;

export const superblock = struct('ext4 superblock', SUPERBLOCK_SIZE, {
  s_inodes_count: u32(0x00),
  s_blocks_count: pair(u32(0x04), u32(0x150)),
  s_r_blocks_count: pair(u32(0x08), u32(0x154)),
  s_free_blocks_count: pair(u32(0x0c), u32(0x158)),
  s_free_inodes_count: u32(0x10),
  s_first_data_block: u32(0x14),
  s_log_block_size: u32(0x18),
  s_log_cluster_size: u32(0x1c),
  s_blocks_per_group: u32(0x20),
  s_clusters_per_group: u32(0x24),
  s_inodes_per_group: u32(0x28),
  s_mtime: pair(u32(0x2c), u8(0x275)),
  s_wtime: pair(u32(0x30), u8(0x274)),
  s_mnt_count: u16(0x34),
  s_max_mnt_count: i16(0x36),
  s_magic: u16(0x38),
  s_state: u16(0x3a),
  s_errors: u16(0x3c),
  s_minor_rev_level: u16(0x3e),
  s_lastcheck: pair(u32(0x40), u8(0x277)),
  s_checkinterval: u32(0x44),
  s_creator_os: u32(0x48),
  s_rev_level: u32(0x4c),
  s_def_resuid: u16(0x50),
  s_def_resgid: u16(0x52),
  s_first_ino: u32(0x54),
  s_inode_size: u16(0x58),
  s_block_group_nr: u16(0x5a),
  s_feature_compat: u32(0x5c),
  s_feature_incompat: u32(0x60),
  s_feature_ro_compat: u32(0x64),
  s_uuid: bytes(0x68, 16),
  s_volume_name: bytes(0x78, 16),
  s_last_mounted: bytes(0x88, 64),
  s_algorithm_usage_bitmap: u32(0xc8),
  s_prealloc_blocks: u8(0xcc),
  s_prealloc_dir_blocks: u8(0xcd),
  s_reserved_gdt_blocks: u16(0xce),
  s_journal_uuid: bytes(0xd0, 16),
  s_journal_inum: u32(0xe0),
  s_journal_dev: u32(0xe4),
  s_last_orphan: u32(0xe8),
  /** Four little-endian u32 words (`s_hash_seed[4]`); kept as bytes, a UUID-shaped value. */
  s_hash_seed: bytes(0xec, 16),
  s_def_hash_version: u8(0xfc),
  s_jnl_backup_type: u8(0xfd),
  s_desc_size: u16(0xfe),
  s_default_mount_opts: u32(0x100),
  s_first_meta_bg: u32(0x104),
  s_mkfs_time: pair(u32(0x108), u8(0x276)),
  /** A copy of the journal inode's i_block[15], i_size_high and i_size (17 u32). */
  s_jnl_blocks: bytes(0x10c, 68),
  s_min_extra_isize: u16(0x15c),
  s_want_extra_isize: u16(0x15e),
  s_flags: u32(0x160),
  s_raid_stride: u16(0x164),
  s_mmp_interval: u16(0x166),
  s_mmp_block: u64(0x168),
  s_raid_stripe_width: u32(0x170),
  s_log_groups_per_flex: u8(0x174),
  s_checksum_type: u8(0x175),
  s_encryption_level: u8(0x176),
  s_kbytes_written: u64(0x178),
  s_snapshot_inum: u32(0x180),
  s_snapshot_id: u32(0x184),
  s_snapshot_r_blocks_count: u64(0x188),
  s_snapshot_list: u32(0x190),
  s_error_count: u32(0x194),
  s_first_error_time: pair(u32(0x198), u8(0x278)),
  s_first_error_ino: u32(0x19c),
  s_first_error_block: u64(0x1a0),
  s_first_error_func: bytes(0x1a8, 32),
  s_first_error_line: u32(0x1c8),
  s_last_error_time: pair(u32(0x1cc), u8(0x279)),
  s_last_error_ino: u32(0x1d0),
  s_last_error_line: u32(0x1d4),
  s_last_error_block: u64(0x1d8),
  s_last_error_func: bytes(0x1e0, 32),
  s_mount_opts: bytes(0x200, 64),
  s_usr_quota_inum: u32(0x240),
  s_grp_quota_inum: u32(0x244),
  s_overhead_clusters: u32(0x248),
  s_backup_bgs: bytes(0x24c, 8),
  s_encrypt_algos: bytes(0x254, 4),
  s_encrypt_pw_salt: bytes(0x258, 16),
  s_lpf_ino: u32(0x268),
  s_prj_quota_inum: u32(0x26c),
  s_checksum_seed: u32(0x270),
  s_first_error_errcode: u8(0x27a),
  s_last_error_errcode: u8(0x27b),
  s_encoding: u16(0x27c),
  s_encoding_flags: u16(0x27e),
  s_orphan_file_inum: u32(0x280),
  s_checksum: u32(0x3fc),
});

export type Superblock = ReturnType<typeof superblock.decode>;

/** s_feature_compat bits, by the names e2fsprogs uses (`-O`, `dumpe2fs`). */
export const COMPAT = {
  dir_prealloc: 0x1,
  imagic_inodes: 0x2,
  has_journal: 0x4,
  ext_attr: 0x8,
  resize_inode: 0x10,
  dir_index: 0x20,
  lazy_bg: 0x40,
  snapshot_bitmap: 0x100,
  sparse_super2: 0x200,
  fast_commit: 0x400,
  stable_inodes: 0x800,
  orphan_file: 0x1000,
} as const;

/** s_feature_incompat bits. */
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  needs_recovery: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extent: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  metadata_csum_seed: 0x2000,
  large_dir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

/** s_feature_ro_compat bits. */
export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  btree_dir: 0x4,
  huge_file: 0x8,
  uninit_bg: 0x10,
  dir_nlink: 0x20,
  extra_isize: 0x40,
  snapshot: 0x80,
  quota: 0x100,
  bigalloc: 0x200,
  metadata_csum: 0x400,
  replica: 0x800,
  read_only: 0x1000,
  project: 0x2000,
  shared_blocks: 0x4000,
  verity: 0x8000,
  orphan_present: 0x10000,
} as const;

export type FeatureName = keyof typeof COMPAT | keyof typeof INCOMPAT | keyof typeof RO_COMPAT;

/** The three feature words of a filesystem. */
export interface FeatureSet {
  compat: number;
  incompat: number;
  roCompat: number;
}

/** e2fsprogs' other spellings of feature names. */
const ALIASES: Record<string, FeatureName> = { extents: 'extent', gdt_csum: 'uninit_bg' };

/** Which word a feature name lives in and its bit; undefined for an unknown name. */
export function featureBit(name: string): { word: keyof FeatureSet; bit: number } | undefined {
  const n = ALIASES[name] ?? name;
  if (n in COMPAT) return { word: 'compat', bit: COMPAT[n as keyof typeof COMPAT] };
  if (n in INCOMPAT) return { word: 'incompat', bit: INCOMPAT[n as keyof typeof INCOMPAT] };
  if (n in RO_COMPAT) return { word: 'roCompat', bit: RO_COMPAT[n as keyof typeof RO_COMPAT] };
  return undefined;
}

export function hasFeature(f: FeatureSet, name: FeatureName): boolean {
  const b = featureBit(name);
  return b !== undefined && (f[b.word] & b.bit) !== 0;
}

/** Names of the features set, in dumpe2fs' order (compat, incompat, ro_compat; by bit). Unknown bits as `FEATURE_X<bit>`. */
export function featureNames(f: FeatureSet): string[] {
  const out: string[] = [];
  const tables: Array<[number, Record<string, number>, string]> = [
    [f.compat, COMPAT, 'C'],
    [f.incompat, INCOMPAT, 'I'],
    [f.roCompat, RO_COMPAT, 'R'],
  ];
  for (const [word, table, tag] of tables) {
    for (let bit = 0; bit < 32; bit++) {
      const mask = 2 ** bit;
      if (Math.floor(word / mask) % 2 === 0) continue;
      const name = Object.keys(table).find((k) => table[k] === mask);
      out.push(name ?? `FEATURE_${tag}${bit}`);
    }
  }
  return out;
}

/** s_state */
export const STATE = { valid: 0x1, errors: 0x2, orphans: 0x4 } as const;
/** s_errors */
export const ERRORS = { continue: 1, remount_ro: 2, panic: 3 } as const;
/** s_flags */
export const SB_FLAGS = { signed_hash: 0x1, unsigned_hash: 0x2, test_filesys: 0x4 } as const;
/** s_default_mount_opts */
export const DEFM = { debug: 0x1, bsdgroups: 0x2, user_xattr: 0x4, acl: 0x8, uid16: 0x10 } as const;
/** s_def_hash_version and dx_root_info.hash_version */
export const HASH = {
  legacy: 0,
  half_md4: 1,
  tea: 2,
  legacy_unsigned: 3,
  half_md4_unsigned: 4,
  tea_unsigned: 5,
  siphash: 6,
} as const;
export const CREATOR_OS_LINUX = 0;
export const EXT2_DYNAMIC_REV = 1;
export const CHECKSUM_TYPE_CRC32C = 1;
