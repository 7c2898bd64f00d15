/**
 * The bytes of a directory from its planned layout: linear blocks, or an htree (dx root, dx
 * nodes, hash-ordered leaves), with checksum tails under metadata_csum.
 */
import { dirLeafChecksum, dxNodeChecksum } from '../checksum.js';
import {
  DIR_TAIL_FT,
  DIR_TAIL_SIZE,
  DX_ENTRY_SIZE,
  DX_NODE_ENTRIES,
  DX_ROOT_ENTRIES,
  dirEntry,
  direntSize,
  dirTail,
  dxCountLimit,
  dxEntry,
  dxNode,
  dxRoot,
  dxTail,
  FT,
} from '../format/dirent.js';
import { HASH } from '../format/superblock.js';
import { type DirLayout, dxLimits } from '../plan/dir-layout.js';
import { putFields } from './fields.js';

export interface DirChild {
  ino: number;
  fileType: number;
  name: Uint8Array;
}

export interface DirParamsOut {
  blockSize: number;
  /** Inode checksum seed of the directory, or undefined without metadata_csum. */
  seed: number | undefined;
  filetype: boolean;
}

/** Writes one leaf block: entries (optionally preceded by '.' and '..'), the last stretched to the end. */
function leafBlock(entries: DirChild[], p: DirParamsOut): Uint8Array {
  const block = new Uint8Array(p.blockSize);
  const end = p.blockSize - (p.seed !== undefined ? DIR_TAIL_SIZE : 0);
  let at = 0;
  if (entries.length === 0) dirEntry.encode({ inode: 0, rec_len: end, name_len: 0, file_type: 0 }, block, 0);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as DirChild;
    const size = direntSize(e.name.length);
    const recLen = i === entries.length - 1 ? end - at : size;
    putFields(dirEntry, block, at, {
      inode: e.ino,
      rec_len: recLen,
      name_len: e.name.length,
      file_type: p.filetype ? e.fileType : 0,
    });
    block.set(e.name, at + 8);
    at += size;
  }
  if (p.seed !== undefined) sealDirLeaf(p.seed, block);
  return block;
}

/** Writes the checksum tail of a directory leaf block (metadata_csum) into its last 12 bytes. */
export function sealDirLeaf(seed: number, block: Uint8Array): void {
  const off = block.length - DIR_TAIL_SIZE;
  dirTail.encode(
    {
      det_reserved_zero1: 0,
      det_rec_len: DIR_TAIL_SIZE,
      det_reserved_zero2: 0,
      det_reserved_ft: DIR_TAIL_FT,
      det_checksum: 0,
    },
    block,
    off,
  );
  dirTail.set(block, off, 'det_checksum', dirLeafChecksum(seed, block));
}

const DOT = Uint8Array.of(0x2e);
const DOTDOT = Uint8Array.of(0x2e, 0x2e);

/**
 * All blocks of a directory in logical order. `child(i)` gives the i-th child (position in the
 * directory's child list as the layout numbers them).
 */
export function directoryBlocks(
  layout: DirLayout,
  self: number,
  parent: number,
  child: (i: number) => DirChild,
  p: DirParamsOut,
): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  const leafCount = layout.leafStart.length;
  const dot: DirChild = { ino: self, fileType: FT.dir, name: DOT };
  const dotdot: DirChild = { ino: parent, fileType: FT.dir, name: DOTDOT };
  for (let k = 0; k < leafCount; k++) {
    const from = layout.leafStart[k] as number;
    const to = k + 1 < leafCount ? (layout.leafStart[k + 1] as number) : layout.order.length;
    const entries: DirChild[] = [];
    if (k === 0 && !layout.hashes) entries.push(dot, dotdot);
    for (let i = from; i < to; i++) entries.push(child(layout.order[i] as number));
    leaves.push(leafBlock(entries, p));
  }
  if (!layout.hashes) return leaves;
  return [...indexBlocks(layout, self, parent, p), ...leaves];
}

/** The dx root and dx nodes of an htree directory (levels as planned), in logical order from block 0. */
function indexBlocks(layout: DirLayout, self: number, parent: number, p: DirParamsOut): Uint8Array[] {
  const hashes = layout.hashes as Uint32Array;
  const csum = p.seed !== undefined;
  const lim = dxLimits(p.blockSize, csum);
  const leafCount = layout.leafStart.length;
  // Key hash of each leaf: its first entry's hash, with the collision bit when the previous leaf ends on the same hash.
  let keys: number[] = [];
  for (let k = 0; k < leafCount; k++) {
    const first = hashes[layout.order[layout.leafStart[k] as number] as number] as number;
    const prevLast = k > 0 ? (hashes[layout.order[(layout.leafStart[k] as number) - 1] as number] as number) : -1;
    keys.push(first === prevLast ? (first | 1) >>> 0 : first);
  }
  // Build levels bottom-up; each level's children are numbered by logical block.
  const levels = layout.indexLevels ?? 0;
  const nodesPerLevel: number[] = [];
  let n = leafCount;
  for (let l = 0; l < levels; l++) {
    n = Math.ceil(n / lim.node);
    nodesPerLevel.unshift(n);
  }
  const totalNodes = nodesPerLevel.reduce((s, x) => s + x, 0);
  // Logical block of the first node of each level (top level first, right after the root).
  const levelStart: number[] = [];
  let at = 1;
  for (const c of nodesPerLevel) {
    levelStart.push(at);
    at += c;
  }
  const leafBase = 1 + totalNodes;
  let childBlocks = Array.from({ length: leafCount }, (_, k) => leafBase + k);
  const nodeBlocks: Uint8Array[][] = nodesPerLevel.map(() => []);
  for (let l = levels - 1; l >= 0; l--) {
    const count = nodesPerLevel[l] as number;
    const nextKeys: number[] = [];
    const nextBlocks: number[] = [];
    for (let j = 0; j < count; j++) {
      const from = j * lim.node;
      const to = Math.min(childBlocks.length, from + lim.node);
      const block = new Uint8Array(p.blockSize);
      dxNode.encode({ fake_inode: 0, fake_rec_len: p.blockSize, name_len: 0, file_type: 0 }, block);
      fillEntries(block, DX_NODE_ENTRIES, lim.node, keys.slice(from, to), childBlocks.slice(from, to), p.seed);
      (nodeBlocks[l] as Uint8Array[]).push(block);
      nextKeys.push(keys[from] as number);
      nextBlocks.push((levelStart[l] as number) + j);
    }
    keys = nextKeys;
    childBlocks = nextBlocks;
  }
  const root = new Uint8Array(p.blockSize);
  const ft = p.filetype ? FT.dir : 0;
  dxRoot.encode(
    {
      dot_inode: self,
      dot_rec_len: 12,
      dot_name_len: 1,
      dot_file_type: ft,
      dot_name: 0x2e,
      dotdot_inode: parent,
      dotdot_rec_len: p.blockSize - 12,
      dotdot_name_len: 2,
      dotdot_file_type: ft,
      dotdot_name: 0x2e2e,
      reserved_zero: 0,
      hash_version: HASH.half_md4,
      info_length: 8,
      indirect_levels: levels,
      unused_flags: 0,
    },
    root,
  );
  fillEntries(root, DX_ROOT_ENTRIES, lim.root, keys, childBlocks, p.seed);
  return [root, ...nodeBlocks.flat()];
}

/** count/limit, the dx entries and (with checksums) the dx tail of one index block. */
function fillEntries(
  block: Uint8Array,
  at: number,
  limit: number,
  keys: number[],
  children: number[],
  seed: number | undefined,
) {
  dxCountLimit.encode({ limit, count: children.length, block: children[0] as number }, block, at);
  for (let i = 1; i < children.length; i++) {
    dxEntry.encode({ hash: keys[i] as number, block: children[i] as number }, block, at + i * DX_ENTRY_SIZE);
  }
  if (seed !== undefined) {
    const tailAt = at + limit * DX_ENTRY_SIZE;
    dxTail.encode({ dt_reserved: 0, dt_checksum: 0 }, block, tailAt);
    dxTail.set(block, tailAt, 'dt_checksum', dxNodeChecksum(seed, block, at, children.length, tailAt));
  }
}
