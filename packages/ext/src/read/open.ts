/**
 * Entry point `openExt`, which gives a read-only filesystem or, with `writable`, the editor on top
 * of it (probing is in probe.ts).
 */
import type { BlockDevice } from '@fstool/blockdev';
import { UnsupportedError } from '@fstool/fs';
import type { ExtEditor } from '../edit/editor.js';
import { INCOMPAT } from '../format/superblock.js';
import { ExtFileSystem } from './filesystem.js';
import { replayJournal } from './replay.js';
import { type OpenOptions, Volume } from './volume.js';

export type { OpenOptions } from './volume.js';

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
  // A writable volume reads and writes through the editor's transaction buffer. The editor loads
  // only for a writable open: reading (ls, cat, info) never needs it.
  const editing = opts.writable
    ? await Promise.all([import('../edit/editor.js'), import('../edit/tx-device.js')])
    : undefined;
  const tx = editing ? new editing[1].TxDevice(dev) : undefined;
  const vol = await Volume.open(tx ?? dev, opts);
  if (vol.hasIncompat(INCOMPAT.needs_recovery)) {
    vol.warn('the journal needs recovery: contents are shown as they were before the unreplayed transactions');
  }
  if (!editing) return new ExtFileSystem(vol, false);
  const why = vol.readOnlyReason();
  if (why) throw new UnsupportedError(`ext: cannot open for writing: ${why}`);
  if (dev.readOnly) throw new UnsupportedError('ext: cannot open for writing: the device is read-only');
  return editing[0].ExtEditor.start(vol, tx, opts.now);
}
