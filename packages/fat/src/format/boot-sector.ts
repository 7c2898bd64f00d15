/**
 * The boot sector (BPB) and the FAT32 FSInfo sector, field by field as in Microsoft's
 * "FAT: General Overview of On-Disk Format" (fatgen103), sections 3.1–3.3 and 5.
 */
import { bytes, struct, u8, u16, u32 } from '@fstool/blockdev/struct';

export const SECTOR_SIZE = 512;
export const BOOT_SIGNATURE = 0xaa55;
/** Extended boot signature: the volume ID, label and type string that follow are valid. */
export const EXT_BOOT_SIGNATURE = 0x29;
export const MEDIA_FIXED = 0xf8;

/** The BIOS parameter block common to FAT12, FAT16 and FAT32 (offsets 0–35), plus the 0x55AA signature. */
export const bpb = struct('FAT boot sector', SECTOR_SIZE, {
  jump: bytes(0, 3),
  oemName: bytes(3, 8),
  bytesPerSector: u16(11),
  sectorsPerCluster: u8(13),
  reservedSectors: u16(14),
  numFats: u8(16),
  rootEntries: u16(17),
  totalSectors16: u16(19),
  media: u8(21),
  fatSectors16: u16(22),
  sectorsPerTrack: u16(24),
  heads: u16(26),
  hiddenSectors: u32(28),
  totalSectors32: u32(32),
  signature: u16(510),
});

/** The FAT12/FAT16 extended BPB (offset 36). */
export const bpb16 = struct('FAT12/16 extended BPB', SECTOR_SIZE, {
  driveNumber: u8(36),
  bootSignature: u8(38),
  volumeId: u32(39),
  volumeLabel: bytes(43, 11),
  fsType: bytes(54, 8),
});
export const BOOT_CODE_16 = 62;

/** The FAT32 extended BPB (offset 36). */
export const bpb32 = struct('FAT32 extended BPB', SECTOR_SIZE, {
  fatSectors32: u32(36),
  extFlags: u16(40),
  fsVersion: u16(42),
  rootCluster: u32(44),
  fsInfoSector: u16(48),
  backupBootSector: u16(50),
  driveNumber: u8(64),
  bootSignature: u8(66),
  volumeId: u32(67),
  volumeLabel: bytes(71, 11),
  fsType: bytes(82, 8),
});
export const BOOT_CODE_32 = 90;

/** FSInfo (FAT32 only): a hint of the free cluster count and where to look for a free one. */
export const fsInfo = struct('FAT32 FSInfo sector', SECTOR_SIZE, {
  leadSignature: u32(0),
  structSignature: u32(484),
  freeCount: u32(488),
  nextFree: u32(492),
  trailSignature: u32(508),
});
export const FSINFO_LEAD = 0x41615252;
export const FSINFO_STRUCT = 0x61417272;
export const FSINFO_TRAIL = 0xaa550000;
/** "Unknown" for both FSInfo hints. */
export const FSINFO_UNKNOWN = 0xffffffff;
