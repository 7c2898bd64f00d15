/**
 * Loading inodes from the inode tables: location, checksum verification and the derived values
 * (kind, size, times, device numbers) every reader needs.
 */
import { CorruptError } from '@fstool/blockdev';
import { type EntryKind, kindFromMode } from '@fstool/fs';
import { inodeChecksum, inodeChecksumSeed } from '../checksum.js';
import {
  CSUM_HI_EXTRA_END,
  decodeTime,
  GOOD_OLD_INODE_SIZE,
  type InodeBase,
  type InodeExtra,
  inodeBase,
  inodeExtra,
} from '../format/inode.js';
import type { Volume } from './volume.js';

/** One inode as read: its number, a private copy of its bytes and the decoded fields. */
export interface Inode {
  ino: number;
  raw: Uint8Array;
  base: InodeBase;
  /** The extra fields, when the inode is large and `i_extra_isize` is sane. */
  extra?: InodeExtra;
  /** Bytes of extra fields in use (0 for 128-byte inodes). */
  extraSize: number;
}

/** Inode table blocks read at once on a cache miss (the next inodes wanted usually follow). */
const TABLE_READ_AHEAD = 32;

/**
 * Where inode `ino` lives: block number and byte offset inside it, and how many blocks of its
 * table are worth reading with it.
 */
export function inodeLocation(vol: Volume, ino: number): { block: number; offset: number; ahead: number } {
  if (!Number.isSafeInteger(ino) || ino < 1 || ino > vol.inodesCount) {
    throw new CorruptError(`ext: inode number ${ino} is outside 1..${vol.inodesCount}`);
  }
  const group = Math.floor((ino - 1) / vol.inodesPerGroup);
  const index = (ino - 1) % vol.inodesPerGroup;
  const byte = index * vol.inodeSize;
  const table = vol.desc(group).bg_inode_table;
  const block = table + Math.floor(byte / vol.blockSize);
  const ahead = Math.min(TABLE_READ_AHEAD, table + vol.inodeTableBlocks() - block);
  return { block, offset: byte % vol.blockSize, ahead };
}

/** Decodes an inode from its raw bytes (a copy the caller owns). */
export function decodeInode(vol: Volume, ino: number, raw: Uint8Array): Inode {
  const base = inodeBase.decode(raw);
  let extraSize = 0;
  let extra: InodeExtra | undefined;
  if (vol.inodeSize > GOOD_OLD_INODE_SIZE) {
    extraSize = inodeExtra.get(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize');
    if (extraSize % 4 !== 0 || GOOD_OLD_INODE_SIZE + extraSize > vol.inodeSize) {
      vol.warn(`inode ${ino}: i_extra_isize ${extraSize} is impossible, extra fields ignored`);
      extraSize = 0;
    } else if (extraSize > 0 && vol.inodeSize >= GOOD_OLD_INODE_SIZE + inodeExtra.size) {
      extra = inodeExtra.decode(raw, GOOD_OLD_INODE_SIZE);
    }
  }
  return extra ? { ino, raw, base, extra, extraSize } : { ino, raw, base, extraSize };
}

/** True when the inode has room for the high 16 bits of its checksum. */
export function hasChecksumHi(vol: Volume, extraSize: number): boolean {
  return vol.inodeSize > GOOD_OLD_INODE_SIZE && extraSize >= CSUM_HI_EXTRA_END;
}

/** The checksum an inode's bytes should carry (metadata_csum). */
export function computeInodeChecksum(vol: Volume, ino: number, raw: Uint8Array, extraSize: number): number {
  const copy = raw.slice(0, vol.inodeSize);
  const hi = hasChecksumHi(vol, extraSize);
  inodeBase.set(copy, 0, 'i_checksum_lo', 0);
  if (hi) inodeExtra.set(copy, GOOD_OLD_INODE_SIZE, 'i_checksum_hi', 0);
  const generation = inodeBase.get(raw, 0, 'i_generation');
  return inodeChecksum(inodeChecksumSeed(vol.csumSeed, ino, generation), copy, hi);
}

/** Reads inode `ino`, verifying its checksum under metadata_csum. */
export async function readInode(vol: Volume, ino: number): Promise<Inode> {
  const { block, offset, ahead } = inodeLocation(vol, ino);
  const buf = await vol.block(block, ahead);
  const raw = buf.slice(offset, offset + vol.inodeSize);
  const inode = decodeInode(vol, ino, raw);
  if (vol.metadataCsum) {
    const stored =
      inode.base.i_checksum_lo + (hasChecksumHi(vol, inode.extraSize) ? (inode.extra?.i_checksum_hi ?? 0) * 65536 : 0);
    if (computeInodeChecksum(vol, ino, raw, inode.extraSize) !== stored) {
      vol.checksumMismatch(`inode ${ino} checksum does not match`);
    }
  }
  return inode;
}

export function inodeKind(inode: Inode): EntryKind {
  const kind = kindFromMode(inode.base.i_mode);
  if (!kind)
    throw new CorruptError(`ext: inode ${inode.ino} has unknown file type in mode 0${inode.base.i_mode.toString(8)}`);
  return kind;
}

export interface InodeTimes {
  atime: number;
  atimeNsec: number;
  mtime: number;
  mtimeNsec: number;
  ctime: number;
  ctimeNsec: number;
  crtime?: number;
  crtimeNsec?: number;
}

/** Times with nanoseconds and epoch bits where `i_extra_isize` covers them. */
export function inodeTimes(inode: Inode): InodeTimes {
  const b = inode.base;
  const x = inode.extra;
  const has = (end: number) => x !== undefined && inode.extraSize >= end;
  const a = decodeTime(b.i_atime, has(0x10) ? x?.i_atime_extra : undefined);
  const m = decodeTime(b.i_mtime, has(0x0c) ? x?.i_mtime_extra : undefined);
  const c = decodeTime(b.i_ctime, has(0x08) ? x?.i_ctime_extra : undefined);
  const t: InodeTimes = {
    atime: a.seconds,
    atimeNsec: a.nsec,
    mtime: m.seconds,
    mtimeNsec: m.nsec,
    ctime: c.seconds,
    ctimeNsec: c.nsec,
  };
  if (has(0x14) && x) {
    const cr = decodeTime(x.i_crtime, has(0x18) ? x.i_crtime_extra : undefined);
    t.crtime = cr.seconds;
    t.crtimeNsec = cr.nsec;
  }
  return t;
}

/** The 15 u32 words of i_block. */
export function blockWords(inode: Inode): Uint32Array {
  const words = new Uint32Array(15);
  const dv = new DataView(inode.raw.buffer, inode.raw.byteOffset + 0x28, 60);
  for (let i = 0; i < 15; i++) words[i] = dv.getUint32(i * 4, true);
  return words;
}
