/**
 * Entry points: `probeExt` (never throws) and `openExt`, which gives a read-only filesystem or,
 * with `writable`, the editor on top of it.
 */
import type { BlockDevice } from '@fstool/blockdev';
import { UnsupportedError } from '@fstool/fs';
import { ExtEditor } from '../edit/editor.js';
import { TxDevice } from '../edit/tx-device.js';
import { EXT4_SUPER_MAGIC, INCOMPAT, SUPERBLOCK_OFFSET, superblock } from '../format/superblock.js';
import { ExtFileSystem } from './filesystem.js';
import { replayJournal } from './replay.js';
import { type OpenOptions, Volume } from './volume.js';

export type { OpenOptions } from './volume.js';

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

/**
 * Opens an ext2/3/4 filesystem. Checksum mismatches fail unless `ignoreChecksums` (then they are
 * listed in `warnings`). Writable opens are refused when the journal needs recovery or a feature
 * the editor cannot keep consistent is on; a read-only open then reads with a warning, with the
 * journal's committed transactions replayed in memory (read/replay.ts).
 */
export function openExt(dev: BlockDevice, opts: OpenOptions & { writable: true }): Promise<ExtEditor>;
export function openExt(dev: BlockDevice, opts?: OpenOptions): Promise<ExtFileSystem>;
export async function openExt(dev: BlockDevice, opts: OpenOptions = { writable: false }): Promise<ExtFileSystem> {
  if (!opts.writable) {
    const replay = await replayJournal(dev, opts);
    if (replay) {
      const vol = await Volume.open(replay.dev, opts);
      vol.warn(
        `the journal needs recovery: replayed ${replay.transactions} committed transaction(s) (${replay.blocks} blocks) in memory for reading; the image is unchanged`,
      );
      return new ExtFileSystem(vol, false);
    }
  }
  // A writable volume reads and writes through the editor's transaction buffer.
  const tx = opts.writable ? new TxDevice(dev) : undefined;
  const vol = await Volume.open(tx ?? dev, opts);
  if (vol.hasIncompat(INCOMPAT.needs_recovery)) {
    vol.warn('the journal needs recovery: contents are shown as they were before the unreplayed transactions');
  }
  if (!opts.writable) return new ExtFileSystem(vol, false);
  const why = vol.readOnlyReason();
  if (why) throw new UnsupportedError(`ext: cannot open for writing: ${why}`);
  if (dev.readOnly) throw new UnsupportedError('ext: cannot open for writing: the device is read-only');
  return ExtEditor.start(vol, tx, opts.now);
}
