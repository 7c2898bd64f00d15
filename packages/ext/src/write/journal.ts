/** The first block of a new, clean and empty JBD2 journal. */
import { journalSuperblockChecksum } from '../checksum.js';
import {
  JBD2_BLOCKTYPE,
  JBD2_CRC32C_CHKSUM,
  JBD2_FEATURE_INCOMPAT,
  JBD2_MAGIC,
  journalSuperblock,
} from '../format/jbd2.js';

export interface JournalParams {
  blockSize: number;
  blocks: number;
  uuid: Uint8Array;
  /** metadata_csum: checksum v3 with crc32c. */
  csum: boolean;
  /** 64bit filesystem: journal block numbers are 64-bit. */
  is64: boolean;
}

export function journalSuperblockBlock(p: JournalParams): Uint8Array {
  const block = new Uint8Array(p.blockSize);
  const incompat = (p.csum ? JBD2_FEATURE_INCOMPAT.csum_v3 : 0) | (p.is64 ? JBD2_FEATURE_INCOMPAT['64bit'] : 0);
  journalSuperblock.patch(
    {
      h_magic: JBD2_MAGIC,
      h_blocktype: JBD2_BLOCKTYPE.superblock_v2,
      h_sequence: 0,
      s_blocksize: p.blockSize,
      s_maxlen: p.blocks,
      s_first: 1,
      s_sequence: 1,
      s_start: 0,
      s_feature_incompat: incompat,
      s_uuid: p.uuid,
      s_nr_users: 1,
      s_checksum_type: p.csum ? JBD2_CRC32C_CHKSUM : 0,
    },
    block,
  );
  if (p.csum) journalSuperblock.set(block, 0, 's_checksum', journalSuperblockChecksum(block));
  return block;
}
