/**
 * Writing inodes back into the inode table (new ones are encoded by write/inode.ts): changed
 * fields and times, each write with its checksum (metadata_csum) recomputed over the final bytes.
 */
import { encodeTime, fitsTime32, GOOD_OLD_INODE_SIZE, type InodeBase, inodeBase, inodeExtra } from '../format/inode.js';
import { inodeWritten } from '../read/dir.js';
import { computeInodeChecksum, decodeInode, hasChecksumHi, type Inode, inodeLocation } from '../read/inode.js';
import type { Volume } from '../read/volume.js';

/** Recomputes the checksum of `raw` and writes it into inode `ino`'s slot. */
export async function writeInode(vol: Volume, ino: number, raw: Uint8Array): Promise<void> {
  if (vol.metadataCsum) {
    const extraSize =
      vol.inodeSize > GOOD_OLD_INODE_SIZE ? inodeExtra.get(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize') : 0;
    const c = computeInodeChecksum(vol, ino, raw, extraSize);
    inodeBase.set(raw, 0, 'i_checksum_lo', c & 0xffff);
    if (hasChecksumHi(vol, extraSize)) inodeExtra.set(raw, GOOD_OLD_INODE_SIZE, 'i_checksum_hi', c >>> 16);
  }
  inodeWritten(vol, ino, raw);
  const { block, offset, ahead } = inodeLocation(vol, ino);
  const buf = (await vol.block(block, ahead)).slice();
  buf.set(raw.subarray(0, vol.inodeSize), offset);
  await vol.writeBlocks(block, buf, true, true);
}

/** Patches fields of an inode already read and writes it; returns the re-decoded inode. */
export async function updateInode(vol: Volume, inode: Inode, patch: Partial<InodeBase>): Promise<Inode> {
  const raw = inode.raw.slice();
  inodeBase.patch(patch, raw);
  await writeInode(vol, inode.ino, raw);
  return decodeInode(vol, inode.ino, raw);
}

/**
 * Where in the extra space each time's `_extra` word ends (it is there when i_extra_isize reaches
 * it), and the fields of the three that live in the base inode (crtime is all in the extra space).
 */
const TIME_FIELDS = {
  ctime: { base: 'i_ctime', extra: 'i_ctime_extra', end: 0x08 },
  mtime: { base: 'i_mtime', extra: 'i_mtime_extra', end: 0x0c },
  atime: { base: 'i_atime', extra: 'i_atime_extra', end: 0x10 },
  crtime: { end: 0x18 },
} as const;

/** Sets a time field pair (the 32-bit seconds and, where the inode has room, the `_extra` word). */
export function setTime(
  vol: Volume,
  raw: Uint8Array,
  field: 'atime' | 'mtime' | 'ctime' | 'crtime',
  seconds: number,
  nsec = 0,
): void {
  const extraSize = vol.inodeSize > GOOD_OLD_INODE_SIZE ? inodeExtra.get(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize') : 0;
  const hasExtra = extraSize >= TIME_FIELDS[field].end;
  const clamped = hasExtra ? seconds : Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, seconds));
  const { time, extra } = encodeTime(fitsTime32(clamped) || hasExtra ? clamped : 0, nsec);
  if (field === 'crtime') {
    if (!hasExtra) return;
    inodeExtra.patch({ i_crtime: time, i_crtime_extra: extra }, raw, GOOD_OLD_INODE_SIZE);
    return;
  }
  inodeBase.set(raw, 0, TIME_FIELDS[field].base, time);
  if (hasExtra) inodeExtra.set(raw, GOOD_OLD_INODE_SIZE, TIME_FIELDS[field].extra, extra);
}
