/**
 * The on-disk inode: the 128-byte original layout plus the "extra" fields after it (when
 * `s_inode_size` > 128; their length is `i_extra_isize`). Encode straight into the inode table
 * buffer at `(index % inodesPerGroup) * inodeSize`.
 */
import { bytes, pair, struct, u16, u32 } from '@fstool/blockdev/struct';

export const GOOD_OLD_INODE_SIZE = 128;
/** i_extra_isize written by current mke2fs/kernels: every extra field through i_projid. */
export const EXTRA_ISIZE = 32;
/** i_block holds 15 u32: 12 direct, indirect, double, triple, or an extent tree root, or a fast symlink. */
export const I_BLOCK_SIZE = 60;

export const inodeBase = struct('ext4 inode', GOOD_OLD_INODE_SIZE, {
  i_mode: u16(0x00),
  i_uid: pair(u16(0x02), u16(0x78)),
  i_size: pair(u32(0x04), u32(0x6c)),
  i_atime: u32(0x08),
  i_ctime: u32(0x0c),
  i_mtime: u32(0x10),
  i_dtime: u32(0x14),
  i_gid: pair(u16(0x18), u16(0x7a)),
  i_links_count: u16(0x1a),
  i_blocks: pair(u32(0x1c), u16(0x74)),
  i_flags: u32(0x20),
  i_version: u32(0x24),
  i_block: bytes(0x28, I_BLOCK_SIZE),
  i_generation: u32(0x64),
  i_file_acl: pair(u32(0x68), u16(0x76)),
  i_obso_faddr: u32(0x70),
  i_checksum_lo: u16(0x7c),
});

/** Extra fields, at offset 128 of the inode (only the first `i_extra_isize` bytes are meaningful). */
export const inodeExtra = struct('ext4 inode extra', EXTRA_ISIZE, {
  i_extra_isize: u16(0x00),
  i_checksum_hi: u16(0x02),
  i_ctime_extra: u32(0x04),
  i_mtime_extra: u32(0x08),
  i_atime_extra: u32(0x0c),
  i_crtime: u32(0x10),
  i_crtime_extra: u32(0x14),
  i_version_hi: u32(0x18),
  i_projid: u32(0x1c),
});

export type InodeBase = ReturnType<typeof inodeBase.decode>;
export type InodeExtra = ReturnType<typeof inodeExtra.decode>;

/** i_extra_isize must reach this far (4 bytes) for i_checksum_hi to exist. */
export const CSUM_HI_EXTRA_END = 4;

/** i_flags */
export const INODE_FLAGS = {
  secrm: 0x1,
  unrm: 0x2,
  compr: 0x4,
  sync: 0x8,
  immutable: 0x10,
  append: 0x20,
  nodump: 0x40,
  noatime: 0x80,
  index: 0x1000,
  journal_data: 0x4000,
  notail: 0x8000,
  dirsync: 0x10000,
  topdir: 0x20000,
  huge_file: 0x40000,
  extents: 0x80000,
  verity: 0x100000,
  ea_inode: 0x200000,
  inline_data: 0x10000000,
  projinherit: 0x20000000,
  casefold: 0x40000000,
} as const;

/** Reserved inode numbers. */
export const INO = {
  bad_blocks: 1,
  root: 2,
  usr_quota: 3,
  grp_quota: 4,
  boot_loader: 5,
  undel_dir: 6,
  resize: 7,
  journal: 8,
  exclude: 9,
  replica: 10,
  /** First non-reserved inode (s_first_ino) on a dynamic-revision filesystem; mke2fs puts lost+found here. */
  first: 11,
} as const;

/** Smallest and largest seconds an inode time can hold with the extra epoch bits (1901-12-13 .. 2446-05-10). */
export const TIME_MIN = -(2 ** 31);
export const TIME_MAX = 2 ** 34 - 2 ** 31 - 1;

/**
 * Splits a time into the 32-bit field and its `_extra` word: two epoch bits extending the signed
 * 32-bit seconds, and nanoseconds << 2 (the kernel's ext4_encode_extra_time).
 */
export function encodeTime(seconds: number, nsec = 0): { time: number; extra: number } {
  const time = ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32;
  const signed = time >= 2 ** 31 ? time - 2 ** 32 : time;
  const epoch = ((seconds - signed) / 2 ** 32) & 3;
  return { time, extra: (nsec * 4 + epoch) >>> 0 };
}

/** Seconds and nanoseconds from a 32-bit time and its `_extra` word (undefined extra: 128-byte inode). */
export function decodeTime(time: number, extra?: number): { seconds: number; nsec: number } {
  const signed = time >= 2 ** 31 ? time - 2 ** 32 : time;
  if (extra === undefined) return { seconds: signed, nsec: 0 };
  return { seconds: signed + (extra & 3) * 2 ** 32, nsec: Math.floor(extra / 4) };
}

/** True when a time fits a 128-byte inode's signed 32-bit seconds. */
export function fitsTime32(seconds: number): boolean {
  return seconds >= TIME_MIN && seconds < 2 ** 31;
}

/** True when a time fits the extended (epoch bits) range of large inodes. */
export function fitsTimeExtra(seconds: number): boolean {
  return seconds >= TIME_MIN && seconds <= TIME_MAX;
}

/**
 * Device numbers in i_block: the old encoding (i_block[0] = major << 8 | minor) when both fit in
 * 8 bits, else the new one in i_block[1] (as the kernel's new_encode_dev). Returns [block0, block1].
 */
export function encodeDevice(major: number, minor: number): [number, number] {
  if (major < 256 && minor < 256) return [(major << 8) | minor, 0];
  return [0, ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0];
}

/** The device number stored in i_block[0..1]. */
export function decodeDevice(block0: number, block1: number): { major: number; minor: number } {
  if (block0 !== 0) return { major: (block0 >>> 8) & 0xff, minor: block0 & 0xff };
  return { major: (block1 & 0xfff00) >>> 8, minor: (block1 & 0xff) | ((block1 >>> 12) & 0xfff00) };
}
