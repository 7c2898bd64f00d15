/** Recognising an ext2/3/4 filesystem from its superblock alone: what probing needs, and no more. */
import type { BlockDevice } from '@fstool/blockdev';
import { EXT4_SUPER_MAGIC, INCOMPAT, SUPERBLOCK_OFFSET, superblock } from '../format/superblock.js';

/** True when the device holds an ext2/3/4 filesystem (an ext superblock, not a journal device). */
export async function probeExt(dev: BlockDevice): Promise<boolean> {
  try {
    if (dev.size < SUPERBLOCK_OFFSET + superblock.size) return false;
    const raw = new Uint8Array(superblock.size);
    await dev.read(SUPERBLOCK_OFFSET, raw);
    // An external journal device carries an ext superblock too, but holds no filesystem.
    return (
      superblock.get(raw, 0, 's_magic') === EXT4_SUPER_MAGIC &&
      superblock.get(raw, 0, 's_log_block_size') <= 6 &&
      (superblock.get(raw, 0, 's_feature_incompat') & INCOMPAT.journal_dev) === 0
    );
  } catch {
    return false;
  }
}
