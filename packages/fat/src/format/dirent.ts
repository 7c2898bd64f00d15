/**
 * Directory entries: the 32-byte short (8.3) entry and the VFAT long-name entry that precedes it
 * (fatgen103 sections 6 and 7).
 */
import { bytes, struct, u8, u16, u32 } from '@fstool/blockdev/struct';

export const DIRENT_SIZE = 32;

export const shortEntry = struct('FAT directory entry', DIRENT_SIZE, {
  name: bytes(0, 11),
  attr: u8(11),
  /** Windows NT case flags: CASE_LOWER_BASE / CASE_LOWER_EXT. */
  ntCase: u8(12),
  createTenths: u8(13),
  createTime: u16(14),
  createDate: u16(16),
  accessDate: u16(18),
  clusterHi: u16(20),
  writeTime: u16(22),
  writeDate: u16(24),
  clusterLo: u16(26),
  size: u32(28),
});

export const lfnEntry = struct('VFAT long-name entry', DIRENT_SIZE, {
  order: u8(0),
  name1: bytes(1, 10),
  attr: u8(11),
  type: u8(12),
  checksum: u8(13),
  name2: bytes(14, 12),
  clusterLo: u16(26),
  name3: bytes(28, 4),
});

export const ATTR = {
  READ_ONLY: 0x01,
  HIDDEN: 0x02,
  SYSTEM: 0x04,
  VOLUME_ID: 0x08,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  /** READ_ONLY | HIDDEN | SYSTEM | VOLUME_ID marks a long-name entry. */
  LONG_NAME: 0x0f,
} as const;

export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;

/** First name byte of a deleted entry, and of the end marker. */
export const DELETED = 0xe5;
export const END = 0x00;
/** Stored in place of a leading 0xE5 that is part of a real name. */
export const KANJI_E5 = 0x05;
/** Bit in the order byte of the last (first stored) long-name entry. */
export const LFN_LAST = 0x40;
/** UTF-16 code units per long-name entry. */
export const LFN_CHARS = 13;

/** The checksum of an 11-byte short name that every long-name entry of it repeats. */
export function lfnChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + (name[i] as number)) & 0xff;
  return sum;
}
