/**
 * The classic 512-byte Master Boot Record and the Extended Boot Records of a logical chain: both
 * have the same layout (boot code, optional disk signature, four 16-byte entries, 0x55AA).
 */
import { bytes, struct, u8, u16, u32 } from '@fstool/blockdev/struct';

export const MBR_SIZE = 512;
export const BOOT_SIGNATURE = 0xaa55;
export const ENTRY_OFFSET = 446;
export const ENTRY_SIZE = 16;

export const mbrSector = struct('MBR', MBR_SIZE, {
  bootCode: bytes(0, 440),
  diskSignature: u32(440),
  reserved: u16(444),
  signature: u16(510),
});

export const mbrEntry = struct('MBR partition entry', ENTRY_SIZE, {
  status: u8(0), // 0x80 = bootable
  chsFirst: bytes(1, 3),
  type: u8(4),
  chsLast: bytes(5, 3),
  firstLba: u32(8),
  sectors: u32(12),
});

export type MbrEntry = ReturnType<typeof mbrEntry.decode>;

export const entryOffset = (i: number) => ENTRY_OFFSET + ENTRY_SIZE * i;
