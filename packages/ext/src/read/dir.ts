/**
 * Directories: linear entry blocks (with their checksum tails), inline directories, and name
 * lookups through the htree index where the directory has one (falling back to a linear scan
 * when the index is damaged or a hash collision spans leaves).
 */
import { CorruptError } from '@fstool/blockdev';
import { dataView } from '@fstool/blockdev/struct';
import { decodeName, encodeName } from '@fstool/fs';
import { dirLeafChecksum, dxNodeChecksum, inodeChecksumSeed } from '../checksum.js';
import {
  DIR_TAIL_FT,
  DIR_TAIL_SIZE,
  DX_ENTRY_SIZE,
  DX_NODE_ENTRIES,
  DX_ROOT_ENTRIES,
  DX_TAIL_SIZE,
  dirEntry,
  dirTail,
  dxCountLimit,
  dxEntry,
  dxRoot,
  dxTail,
} from '../format/dirent.js';
import { effectiveHashVersion, nameHash } from '../format/htree.js';
import { INODE_FLAGS, inodeBase } from '../format/inode.js';
import { COMPAT, INCOMPAT, SB_FLAGS } from '../format/superblock.js';
import type { Inode } from './inode.js';
import { fileMap, findRun, type Run } from './mapping.js';
import { ChecksumError, type Volume } from './volume.js';
import { ibodyXattrs } from './xattr.js';

/** One directory entry where it lies: logical block (-1: i_block of an inline dir, -2: its xattr part). */
export interface DirRecord {
  name: string;
  ino: number;
  fileType: number;
  lblock: number;
  offset: number;
  recLen: number;
}

/** A directory's blocks: the runs of its map and how many logical blocks `i_size` covers. */
export interface DirBlocks {
  runs: Run[];
  count: number;
}

export function isInline(inode: Inode): boolean {
  return (inode.base.i_flags & INODE_FLAGS.inline_data) !== 0;
}

export function isIndexed(vol: Volume, inode: Inode): boolean {
  return (inode.base.i_flags & INODE_FLAGS.index) !== 0 && vol.hasCompat(COMPAT.dir_index);
}

/** Logical blocks a directory's `i_size` covers. */
export function dirBlockCount(vol: Volume, dir: Inode): number {
  const count = Math.ceil(dir.base.i_size / vol.blockSize);
  // A directory cannot be larger than the filesystem; such a size would drive huge loops and allocations.
  if (count > vol.blocksCount) {
    throw new CorruptError(`ext: directory inode ${dir.ino} claims ${dir.base.i_size} bytes, more than the filesystem`);
  }
  return count;
}

/**
 * Directories whose map was read, by volume and inode, with the i_block, size and flags it was
 * read for: every change of a directory's map (edit/dir-edit.ts remaps into new blocks) changes
 * its i_block, so a lookup or insert reuses the map instead of walking the tree again.
 */
const maps = new WeakMap<Volume, Map<number, { iblock: Uint8Array; size: number; flags: number; blocks: DirBlocks }>>();
const MAPS_KEPT = 1024;

export async function dirBlocks(vol: Volume, dir: Inode): Promise<DirBlocks> {
  const count = dirBlockCount(vol, dir);
  const iblock = dir.raw.subarray(0x28, 0x28 + 60);
  let byIno = maps.get(vol);
  const hit = byIno?.get(dir.ino);
  if (hit && hit.size === dir.base.i_size && hit.flags === dir.base.i_flags && sameBytes(hit.iblock, iblock)) {
    return hit.blocks;
  }
  const { runs } = await fileMap(vol, dir);
  const blocks = { runs, count };
  if (!byIno) {
    byIno = new Map();
    maps.set(vol, byIno);
  }
  byIno.delete(dir.ino);
  if (byIno.size >= MAPS_KEPT) byIno.delete(byIno.keys().next().value as number);
  byIno.set(dir.ino, { iblock: iblock.slice(), size: dir.base.i_size, flags: dir.base.i_flags, blocks });
  return blocks;
}

/**
 * An inode is being written as `raw`: a directory map read for other i_block bytes, size or
 * flags, or for an inode now freed (its number and blocks may come back as another directory), is
 * forgotten.
 */
export function inodeWritten(vol: Volume, ino: number, raw: Uint8Array): void {
  const byIno = maps.get(vol);
  const hit = byIno?.get(ino);
  if (!hit) return;
  const same =
    inodeBase.get(raw, 0, 'i_links_count') > 0 &&
    inodeBase.get(raw, 0, 'i_size') === hit.size &&
    inodeBase.get(raw, 0, 'i_flags') === hit.flags &&
    sameBytes(hit.iblock, raw.subarray(0x28, 0x28 + 60));
  if (!same) byIno?.delete(ino);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The logical blocks inside i_size that are mapped (holes skipped without visiting them). */
export function* mappedBlocks(blocks: DirBlocks): Generator<number> {
  for (const r of blocks.runs) {
    for (let lb = r.logical; lb < Math.min(r.logical + r.length, blocks.count); lb++) yield lb;
  }
}

/** Physical block of a directory's logical block, or undefined for a hole. */
export function physicalOf(blocks: DirBlocks, lb: number): number | undefined {
  const i = findRun(blocks.runs, lb);
  if (i < 0) return undefined;
  const r = blocks.runs[i] as Run;
  return r.physical + (lb - r.logical);
}

/** Decoded record length (64 KiB blocks store 65536 as 0 or 65535). */
function recLenOf(raw: number, blockSize: number): number {
  return blockSize >= 65536 && (raw === 0 || raw === 65535) ? 65536 : raw;
}

/** Parses the entries of one linear block (or an inline region), skipping unused ones. */
export function parseEntries(
  buf: Uint8Array,
  lblock: number,
  where: string,
  out: DirRecord[],
  blockSize: number,
  match?: Uint8Array,
): void {
  // Field by field through the codec's fields, no object per entry: lookups parse whole leaves.
  const dv = dataView(buf);
  const { inode, rec_len, name_len, file_type } = dirEntry.fields;
  let off = 0;
  while (off < buf.length) {
    if (off + 8 > buf.length) throw new CorruptError(`ext: ${where}: entry at byte ${off} runs past the block`);
    const at = buf.byteOffset + off;
    const e = {
      inode: inode.get(dv, at, true, where),
      rec_len: rec_len.get(dv, at, true, where),
      name_len: name_len.get(dv, at, true, where),
      file_type: file_type.get(dv, at, true, where),
    };
    const recLen = recLenOf(e.rec_len, blockSize);
    if (recLen < 8 || recLen % 4 !== 0 || off + recLen > buf.length || 8 + e.name_len > recLen) {
      throw new CorruptError(
        `ext: ${where}: entry at byte ${off} has impossible rec_len ${recLen} / name_len ${e.name_len}`,
      );
    }
    if (e.inode !== 0 && (!match || sameName(buf, off + 8, e.name_len, match))) {
      const name = decodeName(buf.subarray(off + 8, off + 8 + e.name_len));
      out.push({ name, ino: e.inode, fileType: e.file_type, lblock, offset: off, recLen });
    }
    off += recLen;
  }
}

function sameName(buf: Uint8Array, at: number, len: number, name: Uint8Array): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if (buf[at + i] !== name[i]) return false;
  return true;
}

/** True when a directory block ends with a metadata_csum tail. */
function hasDirTail(buf: Uint8Array): boolean {
  const off = buf.length - DIR_TAIL_SIZE;
  // Three fields, not a decoded object: every leaf read checks this.
  return (
    dirTail.get(buf, off, 'det_reserved_zero1') === 0 &&
    dirTail.get(buf, off, 'det_rec_len') === DIR_TAIL_SIZE &&
    dirTail.get(buf, off, 'det_reserved_ft') === DIR_TAIL_FT
  );
}

/** Whether a block of an indexed directory is an htree interior node (block 0 is the root). */
function isDxNode(vol: Volume, buf: Uint8Array, lb: number): boolean {
  if (lb === 0) return true;
  const e = dirEntry.decode(buf, 0);
  return e.inode === 0 && recLenOf(e.rec_len, vol.blockSize) === vol.blockSize && e.name_len === 0;
}

/** The checksum seed of a directory's blocks. */
export function dirSeed(vol: Volume, dir: Inode): number {
  return inodeChecksumSeed(vol.csumSeed, dir.ino, dir.base.i_generation);
}

/** Verifies a leaf block's tail checksum under metadata_csum. */
function checkLeaf(vol: Volume, dir: Inode, buf: Uint8Array, lb: number): void {
  if (!vol.metadataCsum) return;
  if (!hasDirTail(buf)) {
    vol.checksumMismatch(`directory inode ${dir.ino} block ${lb} has no checksum tail`);
    return;
  }
  const stored = dirTail.get(buf, buf.length - DIR_TAIL_SIZE, 'det_checksum');
  if (dirLeafChecksum(dirSeed(vol, dir), buf) !== stored) {
    vol.checksumMismatch(`directory inode ${dir.ino} block ${lb} checksum does not match`);
  }
}

/** Offset of the count/limit header in a dx block. */
function countOffset(lb: number): number {
  return lb === 0 ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES;
}

/** Verifies an htree node's checksum under metadata_csum. */
function checkDxNode(vol: Volume, dir: Inode, buf: Uint8Array, lb: number): void {
  if (!vol.metadataCsum) return;
  const co = countOffset(lb);
  const { limit, count } = dxCountLimit.decode(buf, co);
  const tail = co + limit * DX_ENTRY_SIZE;
  if (count > limit || tail + DX_TAIL_SIZE > buf.length) {
    vol.checksumMismatch(`directory inode ${dir.ino} htree block ${lb} has no room for its checksum`);
    return;
  }
  if (dxNodeChecksum(dirSeed(vol, dir), buf, co, count, tail) !== dxTail.get(buf, tail, 'dt_checksum')) {
    vol.checksumMismatch(`directory inode ${dir.ino} htree block ${lb} checksum does not match`);
  }
}

/** The entries of an inline directory: i_block after the parent number, then system.data. */
function inlineEntries(vol: Volume, dir: Inode): DirRecord[] {
  const out: DirRecord[] = [];
  const where = `inline directory inode ${dir.ino}`;
  parseEntries(dir.raw.subarray(0x28 + 4, 0x28 + 60), -1, where, out, vol.blockSize);
  const more = ibodyXattrs(vol, dir).get('system.data');
  if (more && more.length > 0) parseEntries(more, -2, where, out, vol.blockSize);
  return out;
}

/**
 * Cached block buffers whose checksum was verified, with the directory inode it was verified for
 * (the seed): the volume's cache hands out the same buffer until the block is read or written
 * again, so a lookup need not checksum it again.
 */
const verified = new WeakMap<Uint8Array, number>();

/** `buf`, just sealed for directory `ino` and handed to the cache as is, needs no verifying when read back. */
export function dirBlockSealed(buf: Uint8Array, ino: number): void {
  verified.set(buf, ino);
}

/** Reads a directory block by logical number, verifying its checksum. */
export async function readDirBlock(
  vol: Volume,
  dir: Inode,
  blocks: DirBlocks,
  lb: number,
): Promise<Uint8Array | undefined> {
  const pb = physicalOf(blocks, lb);
  if (pb === undefined) return undefined;
  const buf = await vol.block(pb);
  if (verified.get(buf) === dir.ino) return buf;
  if (isIndexed(vol, dir) && isDxNode(vol, buf, lb)) checkDxNode(vol, dir, buf, lb);
  else checkLeaf(vol, dir, buf, lb);
  verified.set(buf, dir.ino);
  return buf;
}

/**
 * Every live entry of a directory including '.' and '..' (inline dirs report '..' from i_block);
 * with `match`, only entries of that name (and the dot entries).
 */
export async function readDir(vol: Volume, dir: Inode, match?: Uint8Array): Promise<DirRecord[]> {
  if (isInline(dir)) {
    const parent = new DataView(dir.raw.buffer, dir.raw.byteOffset + 0x28, 4).getUint32(0, true);
    return [
      { name: '.', ino: dir.ino, fileType: 2, lblock: -1, offset: 0, recLen: 0 },
      { name: '..', ino: parent, fileType: 2, lblock: -1, offset: 0, recLen: 0 },
      ...inlineEntries(vol, dir),
    ];
  }
  const blocks = await dirBlocks(vol, dir);
  const out: DirRecord[] = [];
  const indexed = isIndexed(vol, dir);
  for (const lb of mappedBlocks(blocks)) {
    const buf = await readDirBlock(vol, dir, blocks, lb);
    if (!buf) continue;
    // htree interior nodes hold no names (the root's '.' and '..' are read below).
    if (indexed && isDxNode(vol, buf, lb) && lb !== 0) continue;
    const region = vol.metadataCsum && hasDirTail(buf) ? buf.subarray(0, buf.length - DIR_TAIL_SIZE) : buf;
    if (indexed && lb === 0) {
      const r = dxRoot.decode(buf);
      out.push({ name: '.', ino: r.dot_inode, fileType: 2, lblock: 0, offset: 0, recLen: r.dot_rec_len });
      out.push({ name: '..', ino: r.dotdot_inode, fileType: 2, lblock: 0, offset: 12, recLen: r.dotdot_rec_len });
      continue;
    }
    parseEntries(region, lb, `directory inode ${dir.ino} block ${lb}`, out, vol.blockSize, match);
  }
  return out;
}

/** Finds `name` in a directory: through the htree when indexed, else linearly. */
export async function lookup(vol: Volume, dir: Inode, name: string): Promise<DirRecord | undefined> {
  if (isIndexed(vol, dir) && !isInline(dir)) {
    try {
      const hit = await htreeLookup(vol, dir, name);
      if (hit !== 'linear') return hit;
    } catch (e) {
      if (!(e instanceof CorruptError) || e instanceof ChecksumError) throw e;
      vol.warn(`directory inode ${dir.ino}: htree index unusable (${e.message}), searched linearly`);
    }
  }
  return (await readDir(vol, dir, encodeName(name))).find((r) => r.name === name);
}

/** Hash parameters of an indexed directory from its root block. */
export function dxHashVersion(vol: Volume, root: Uint8Array): number {
  const version = dxRoot.get(root, 0, 'hash_version');
  return effectiveHashVersion(version, (vol.sb.s_flags & SB_FLAGS.unsigned_hash) !== 0);
}

/** Levels of index below the root this filesystem allows. */
function maxDxLevels(vol: Volume): number {
  return vol.hasIncompat(INCOMPAT.large_dir) ? 3 : 2;
}

/** One step of an htree path: the dx block, the entry taken, and how many entries it has. */
export interface DxStep {
  lblock: number;
  index: number;
  count: number;
  limit: number;
}

/**
 * Walks from the root to the leaf that would hold `hash`. Returns the leaf's logical block and the
 * path of dx steps (root first). Throws CorruptError for an impossible index.
 */
export async function dxPath(
  vol: Volume,
  dir: Inode,
  blocks: DirBlocks,
  hash: number,
): Promise<{ leaf: number; path: DxStep[]; nextHash?: number }> {
  const root = await readDirBlock(vol, dir, blocks, 0);
  if (!root) throw new CorruptError(`ext: directory inode ${dir.ino}: htree root block is a hole`);
  const info = dxRoot.decode(root);
  if (info.info_length !== 8 || info.indirect_levels >= maxDxLevels(vol) || info.reserved_zero !== 0) {
    throw new CorruptError(`ext: directory inode ${dir.ino}: bad htree root (levels ${info.indirect_levels})`);
  }
  const path: DxStep[] = [];
  let lb = 0;
  let buf = root;
  let nextHash: number | undefined;
  for (let level = 0; level <= info.indirect_levels; level++) {
    const co = countOffset(lb);
    const { limit, count } = dxCountLimit.decode(buf, co);
    const maxLimit = Math.floor((vol.blockSize - co - (vol.metadataCsum ? DX_TAIL_SIZE : 0)) / DX_ENTRY_SIZE);
    if (count === 0 || count > limit || limit > maxLimit) {
      throw new CorruptError(
        `ext: directory inode ${dir.ino}: htree block ${lb} count ${count}/${limit} is impossible`,
      );
    }
    // The largest entry whose hash is <= ours; entry 0 covers everything below entry 1.
    let lo = 1;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (dxEntry.get(buf, co + mid * DX_ENTRY_SIZE, 'hash') > hash) hi = mid - 1;
      else lo = mid + 1;
    }
    const index = lo - 1;
    if (index + 1 < count) nextHash = dxEntry.get(buf, co + (index + 1) * DX_ENTRY_SIZE, 'hash');
    path.push({ lblock: lb, index, count, limit });
    const child = dxEntry.get(buf, co + index * DX_ENTRY_SIZE, 'block');
    if (child === 0 || child >= blocks.count) {
      throw new CorruptError(`ext: directory inode ${dir.ino}: htree points at block ${child} outside the directory`);
    }
    lb = child;
    if (level < info.indirect_levels) {
      const next = await readDirBlock(vol, dir, blocks, lb);
      if (!next || !isDxNode(vol, next, lb))
        throw new CorruptError(`ext: directory inode ${dir.ino}: htree node ${lb} is not an index block`);
      buf = next;
    }
  }
  return nextHash === undefined ? { leaf: lb, path } : { leaf: lb, path, nextHash };
}

async function htreeLookup(vol: Volume, dir: Inode, name: string): Promise<DirRecord | undefined | 'linear'> {
  const blocks = await dirBlocks(vol, dir);
  const root = await readDirBlock(vol, dir, blocks, 0);
  if (!root) return 'linear';
  const bytes = encodeName(name);
  const hash = nameHash(bytes, dxHashVersion(vol, root), vol.sb.s_hash_seed).hash;
  const { leaf, nextHash } = await dxPath(vol, dir, blocks, hash);
  const buf = await readDirBlock(vol, dir, blocks, leaf);
  if (!buf) return 'linear';
  const out: DirRecord[] = [];
  const region = vol.metadataCsum && hasDirTail(buf) ? buf.subarray(0, buf.length - DIR_TAIL_SIZE) : buf;
  parseEntries(region, leaf, `directory inode ${dir.ino} block ${leaf}`, out, vol.blockSize, bytes);
  const hit = out.find((r) => r.name === name);
  if (hit) return hit;
  // A run of equal hashes continued into the next leaf (collision bit set): search everything.
  if (nextHash !== undefined && (nextHash & 1) === 1 && (nextHash & ~1) >>> 0 === hash) return 'linear';
  return undefined;
}
