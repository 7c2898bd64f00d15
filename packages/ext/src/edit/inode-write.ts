/**
 * Writing inodes back into the inode table: fresh inodes for new entries, changed ones for
 * parents, each with its checksum (metadata_csum) recomputed over its final bytes.
 */
import { type Entry, typeBits } from '@fstool/fs';
import {
  EXTRA_ISIZE,
  encodeTime,
  fitsTime32,
  GOOD_OLD_INODE_SIZE,
  type InodeBase,
  inodeBase,
  inodeExtra,
} from '../format/inode.js';
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
  const { block, offset } = inodeLocation(vol, ino);
  const buf = (await vol.block(block)).slice();
  buf.set(raw.subarray(0, vol.inodeSize), offset);
  await vol.writeBlocks(block, buf);
}

/** Patches fields of an inode already read and writes it; returns the re-decoded inode. */
export async function updateInode(vol: Volume, inode: Inode, patch: Partial<InodeBase>): Promise<Inode> {
  const raw = inode.raw.slice();
  inodeBase.patch(patch, raw);
  await writeInode(vol, inode.ino, raw);
  return decodeInode(vol, inode.ino, raw);
}

/** Sets a time field pair (the 32-bit seconds and, where the inode has room, the `_extra` word). */
export function setTime(
  vol: Volume,
  raw: Uint8Array,
  field: 'atime' | 'mtime' | 'ctime' | 'crtime',
  seconds: number,
  nsec = 0,
): void {
  const extraSize = vol.inodeSize > GOOD_OLD_INODE_SIZE ? inodeExtra.get(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize') : 0;
  const ends = { ctime: 0x08, mtime: 0x0c, atime: 0x10, crtime: 0x18 } as const;
  const hasExtra = extraSize >= ends[field];
  const clamped = hasExtra ? seconds : Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, seconds));
  const { time, extra } = encodeTime(fitsTime32(clamped) || hasExtra ? clamped : 0, nsec);
  if (field === 'crtime') {
    if (!hasExtra) return;
    inodeExtra.patch({ i_crtime: time, i_crtime_extra: extra }, raw, GOOD_OLD_INODE_SIZE);
    return;
  }
  inodeBase.set(raw, 0, `i_${field}`, time);
  if (hasExtra) inodeExtra.set(raw, GOOD_OLD_INODE_SIZE, `i_${field}_extra`, extra);
}

export interface NewInode {
  entry: Entry;
  links: number;
  size: number;
  flags: number;
  iblock: Uint8Array;
  /** Blocks charged (data + mapping + xattr), in filesystem blocks. */
  blocks: number;
  now: number;
}

/** A fresh inode's bytes for an entry. */
export function newInodeRaw(vol: Volume, n: NewInode): Uint8Array {
  const raw = new Uint8Array(vol.inodeSize);
  const e = n.entry;
  inodeBase.patch(
    {
      i_mode: typeBits(e.kind) | (e.mode & 0o7777),
      i_uid: e.uid,
      i_gid: e.gid,
      i_size: n.size,
      i_links_count: n.links,
      i_blocks: (n.blocks * vol.blockSize) / 512,
      i_flags: n.flags,
      i_block: n.iblock,
    },
    raw,
  );
  if (vol.inodeSize >= GOOD_OLD_INODE_SIZE + EXTRA_ISIZE) {
    inodeExtra.set(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize', EXTRA_ISIZE);
  }
  setTime(vol, raw, 'mtime', e.mtime, e.mtimeNsec ?? 0);
  setTime(vol, raw, 'atime', e.atime ?? e.mtime, e.atimeNsec ?? 0);
  setTime(vol, raw, 'ctime', e.ctime ?? e.mtime, e.ctimeNsec ?? 0);
  setTime(vol, raw, 'crtime', n.now);
  return raw;
}
