/** A GPT partition entry (UEFI spec 2.10, §5.3.3). Entries may be larger than 128 bytes; the rest is reserved. */
import { bytes, struct, u32, u64 } from '@fstool/blockdev/struct';

export const ENTRY_SIZE = 128;
export const NAME_UNITS = 36;

/** Entry arrays larger than this are treated as corrupt (128 entries take 16 KiB). */
export const MAX_ENTRY_ARRAY_BYTES = 2 ** 20;

/** Sectors the entry array takes. */
export const arraySectors = (entryCount: number, entrySize: number, sectorSize: number) =>
  Math.ceil((entryCount * entrySize) / sectorSize);

export const gptEntry = struct('GPT partition entry', ENTRY_SIZE, {
  typeGuid: bytes(0x00, 16),
  uniqueGuid: bytes(0x10, 16),
  firstLba: u64(0x20),
  lastLba: u64(0x28),
  // 64 attribute bits as two words: bits 48-63 push the value past 2^53.
  attributesLow: u32(0x30),
  attributesHigh: u32(0x34),
  name: bytes(0x38, NAME_UNITS * 2), // UTF-16LE, NUL-padded
});
