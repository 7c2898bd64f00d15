/**
 * Encodes planned inodes straight into an inode-table buffer: mode, owners, times with
 * nanoseconds and epoch bits, sizes, i_block (extent root, block map, fast symlink or device
 * number), in-inode xattrs and the checksum.
 */
import type { Entry } from '@fstool/fs';
import { inodeChecksum } from '../checksum.js';
import {
  CSUM_HI_EXTRA_END,
  EXTRA_ISIZE,
  encodeDevice,
  encodeTime,
  GOOD_OLD_INODE_SIZE,
  I_BLOCK_SIZE,
  inodeBase,
  inodeExtra,
  TIME_MAX,
  TIME_MIN,
} from '../format/inode.js';
import type { PlannedInode } from '../plan/plan.js';
import { putFields } from './fields.js';
import { u32le } from './mapping.js';
import { writeInodeXattrs } from './xattr.js';

export interface InodeContent {
  pi: PlannedInode;
  /** Metadata source: the tree entry, or a made-up one for lost+found, the journal and the resize inode. */
  entry: Pick<
    Entry,
    | 'mode'
    | 'uid'
    | 'gid'
    | 'mtime'
    | 'mtimeNsec'
    | 'atime'
    | 'atimeNsec'
    | 'ctime'
    | 'ctimeNsec'
    | 'crtime'
    | 'crtimeNsec'
    | 'rdev'
  >;
  /** S_IF* bits. */
  typeBits: number;
  iblock: Uint8Array;
  flags: number;
  /** Inode checksum seed, or undefined without metadata_csum. */
  seed: number | undefined;
  /** Creation time in seconds instead of the entry's (an editor's new inode is born now). */
  crtime?: number;
}

const clamp = (t: number, large: boolean) => Math.min(Math.max(t, TIME_MIN), large ? TIME_MAX : 2 ** 31 - 1);

export function encodeInode(
  table: Uint8Array,
  at: number,
  inodeSize: number,
  blockSize: number,
  c: InodeContent,
): void {
  const { pi, entry } = c;
  const large = inodeSize > GOOD_OLD_INODE_SIZE;
  const time = (s: number | undefined, ns: number | undefined) =>
    encodeTime(clamp(s ?? entry.mtime, large), large ? (ns ?? 0) : 0);
  const m = time(entry.mtime, entry.mtimeNsec);
  const a = time(entry.atime ?? entry.mtime, entry.atime === undefined ? entry.mtimeNsec : entry.atimeNsec);
  const ch = time(entry.ctime ?? entry.mtime, entry.ctime === undefined ? entry.mtimeNsec : entry.ctimeNsec);
  // The table buffer starts zeroed: fields that stay 0 (dtime, generation, version, …) are not written.
  putFields(inodeBase, table, at, {
    i_mode: c.typeBits | (entry.mode & 0o7777),
    i_uid: entry.uid,
    i_size: pi.size,
    i_atime: a.time,
    i_ctime: ch.time,
    i_mtime: m.time,
    i_gid: entry.gid,
    i_links_count: pi.links,
    i_blocks: pi.blockCount * (blockSize / 512),
    i_flags: c.flags,
    i_block: c.iblock,
    ...(pi.xattrBlock ? { i_file_acl: pi.xattrBlock.block } : {}),
  });
  if (large) {
    const cr =
      c.crtime !== undefined
        ? time(c.crtime, 0)
        : time(entry.crtime ?? entry.mtime, entry.crtime === undefined ? entry.mtimeNsec : entry.crtimeNsec);
    putFields(inodeExtra, table, at + GOOD_OLD_INODE_SIZE, {
      i_extra_isize: EXTRA_ISIZE,
      i_ctime_extra: ch.extra,
      i_mtime_extra: m.extra,
      i_atime_extra: a.extra,
      i_crtime: cr.time,
      i_crtime_extra: cr.extra,
    });
    if (pi.xattrsInInode?.length) {
      writeInodeXattrs(table, at, inodeSize, GOOD_OLD_INODE_SIZE + EXTRA_ISIZE, pi.xattrsInInode);
    }
  }
  if (c.seed !== undefined) {
    const hasHi = large && EXTRA_ISIZE >= CSUM_HI_EXTRA_END;
    const sum = inodeChecksum(c.seed, table.subarray(at, at + inodeSize), hasHi);
    inodeBase.set(table, at, 'i_checksum_lo', sum & 0xffff);
    if (hasHi) inodeExtra.set(table, at + GOOD_OLD_INODE_SIZE, 'i_checksum_hi', sum >>> 16);
  }
}

/** i_block of a device inode: old or new encoding of the device number. */
export function deviceIblock(major: number, minor: number): Uint8Array {
  const words = new Uint32Array(I_BLOCK_SIZE / 4);
  words.set(encodeDevice(major, minor));
  return u32le(words);
}

/** i_block of a fast symlink: the target bytes themselves. */
export function fastSymlinkIblock(target: Uint8Array): Uint8Array {
  const out = new Uint8Array(I_BLOCK_SIZE);
  out.set(target);
  return out;
}
