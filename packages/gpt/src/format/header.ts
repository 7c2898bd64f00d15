/** The GPT header (UEFI spec 2.10, §5.3.2), stored at LBA 1 and, as a backup, at the last LBA. */
import { bytes, struct, u32, u64 } from '@fstool/blockdev/struct';

export const GPT_SIGNATURE = new Uint8Array([0x45, 0x46, 0x49, 0x20, 0x50, 0x41, 0x52, 0x54]); // "EFI PART"
export const GPT_REVISION = 0x00010000;
export const HEADER_SIZE = 92;

export const gptHeader = struct('GPT header', HEADER_SIZE, {
  signature: bytes(0x00, 8),
  revision: u32(0x08),
  headerSize: u32(0x0c),
  headerCrc32: u32(0x10),
  reserved: u32(0x14),
  myLba: u64(0x18),
  alternateLba: u64(0x20),
  firstUsableLba: u64(0x28),
  lastUsableLba: u64(0x30),
  diskGuid: bytes(0x38, 16),
  entriesLba: u64(0x48),
  entryCount: u32(0x50),
  entrySize: u32(0x54),
  entriesCrc32: u32(0x58),
});

export type GptHeader = ReturnType<typeof gptHeader.decode>;
