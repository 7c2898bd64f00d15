/**
 * Where a file's blocks are: its extent tree (any depth) or its block map (direct, indirect,
 * double and triple indirect), flattened into sorted runs. Every block number is checked against
 * the filesystem, every tree block is read once (loops are corruption), and depth is bounded.
 */
import { CorruptError } from '@fstool/blockdev';
import { extentBlockChecksum, inodeChecksumSeed } from '../checksum.js';
import {
  EXT_INIT_MAX_LEN,
  EXT4_EXT_MAGIC,
  EXTENT_ENTRY_SIZE,
  extentCapacity,
  extentHeader,
  extentIndex,
  extentLeaf,
  extentTail,
  extentTailOffset,
} from '../format/extent.js';
import { INODE_FLAGS } from '../format/inode.js';
import { blockWords, type Inode } from './inode.js';
import type { Volume } from './volume.js';

/** A contiguous stretch of a file: `length` blocks from logical block `logical` at `physical`. */
export interface Run {
  logical: number;
  physical: number;
  length: number;
  /** Allocated but unwritten (reads as zeros). */
  unwritten: boolean;
}

export interface FileMap {
  runs: Run[];
  /** Blocks holding the mapping itself (extent tree nodes below the root, indirect blocks). */
  meta: number[];
}

/** Deepest extent tree the kernel builds is 5; anything deeper is corruption. */
const MAX_EXTENT_DEPTH = 5;

function usesExtents(inode: Inode): boolean {
  return (inode.base.i_flags & INODE_FLAGS.extents) !== 0;
}

/** The block runs of an inode (extents or block map). Inline-data inodes have none. */
export async function fileMap(vol: Volume, inode: Inode): Promise<FileMap> {
  if ((inode.base.i_flags & INODE_FLAGS.inline_data) !== 0) return { runs: [], meta: [] };
  const map = usesExtents(inode) ? await extentMap(vol, inode) : await blockMap(vol, inode);
  return map;
}

/**
 * Collects an inode's runs in logical order, merging touching ones. Blocks are never shared in
 * ext, so a map covering more blocks than the filesystem has is corrupt (indirect blocks or extent
 * leaves repeating pointers): refused before it costs an object per repeated block.
 */
class RunList {
  readonly runs: Run[] = [];
  private mapped = 0;

  constructor(
    private readonly vol: Volume,
    private readonly ino: number,
  ) {}

  push(run: Run): void {
    this.mapped += run.length;
    if (this.mapped > this.vol.blocksCount) {
      throw new CorruptError(
        `ext: inode ${this.ino} maps more than the filesystem's ${this.vol.blocksCount} blocks (pointers repeat)`,
      );
    }
    const last = this.runs[this.runs.length - 1];
    if (
      last &&
      last.unwritten === run.unwritten &&
      last.logical + last.length === run.logical &&
      last.physical + last.length === run.physical
    ) {
      last.length += run.length;
    } else {
      this.runs.push(run);
    }
  }
}

async function extentMap(vol: Volume, inode: Inode): Promise<FileMap> {
  const runs = new RunList(vol, inode.ino);
  const meta: number[] = [];
  const seen = new Set<number>();
  const seed = vol.metadataCsum ? inodeChecksumSeed(vol.csumSeed, inode.ino, inode.base.i_generation) : 0;
  let nextLogical = 0;
  const where = (b?: number) => `inode ${inode.ino} extent tree${b === undefined ? '' : ` block ${b}`}`;

  const walk = async (node: Uint8Array, depth: number | undefined, capacity: number, at?: number): Promise<void> => {
    const h = extentHeader.decode(node);
    if (h.eh_magic !== EXT4_EXT_MAGIC)
      throw new CorruptError(`ext: ${where(at)}: bad magic 0x${h.eh_magic.toString(16)}`);
    if (h.eh_max > capacity || h.eh_entries > h.eh_max || h.eh_depth > MAX_EXTENT_DEPTH) {
      throw new CorruptError(
        `ext: ${where(at)}: header entries ${h.eh_entries}/${h.eh_max}, depth ${h.eh_depth} are impossible`,
      );
    }
    if (depth !== undefined && h.eh_depth !== depth) {
      throw new CorruptError(`ext: ${where(at)}: depth ${h.eh_depth}, expected ${depth}`);
    }
    if (at !== undefined && vol.metadataCsum) {
      const tail = extentTailOffset(h.eh_max);
      if (
        tail + 4 <= node.length &&
        extentBlockChecksum(seed, node, h.eh_max) !== extentTail.get(node, tail, 'eb_checksum')
      ) {
        vol.checksumMismatch(`${where(at)} checksum does not match`);
      }
    }
    for (let i = 0; i < h.eh_entries; i++) {
      const off = 12 + i * EXTENT_ENTRY_SIZE;
      if (h.eh_depth === 0) {
        const e = extentLeaf.decode(node, off);
        const unwritten = e.ee_len > EXT_INIT_MAX_LEN;
        const length = unwritten ? e.ee_len - EXT_INIT_MAX_LEN : e.ee_len;
        if (length === 0) continue;
        if (e.ee_block < nextLogical) {
          throw new CorruptError(`ext: ${where(at)}: extent at logical block ${e.ee_block} overlaps the one before`);
        }
        if (!vol.validBlock(e.ee_start) || e.ee_start + length > vol.blocksCount) {
          throw new CorruptError(
            `ext: ${where(at)}: extent to block ${e.ee_start} (+${length}) is outside the filesystem`,
          );
        }
        nextLogical = e.ee_block + length;
        runs.push({ logical: e.ee_block, physical: e.ee_start, length, unwritten });
      } else {
        const x = extentIndex.decode(node, off);
        if (!vol.validBlock(x.ei_leaf)) {
          throw new CorruptError(`ext: ${where(at)}: index points at block ${x.ei_leaf}, outside the filesystem`);
        }
        if (seen.has(x.ei_leaf)) throw new CorruptError(`ext: ${where(at)}: block ${x.ei_leaf} appears twice (a loop)`);
        seen.add(x.ei_leaf);
        meta.push(x.ei_leaf);
        const child = (await vol.block(x.ei_leaf)).slice();
        await walk(child, h.eh_depth - 1, extentCapacity(vol.blockSize, false), x.ei_leaf);
      }
    }
  };
  await walk(inode.raw.subarray(0x28, 0x28 + 60), undefined, extentCapacity(60, true));
  return { runs: runs.runs, meta };
}

async function blockMap(vol: Volume, inode: Inode): Promise<FileMap> {
  const runs = new RunList(vol, inode.ino);
  const meta: number[] = [];
  const seen = new Set<number>();
  const perBlock = vol.blockSize / 4;
  const words = blockWords(inode);
  const check = (b: number, what: string) => {
    if (!vol.validBlock(b))
      throw new CorruptError(`ext: inode ${inode.ino}: ${what} block ${b} is outside the filesystem`);
  };

  const data = (logical: number, b: number) => {
    check(b, 'data');
    runs.push({ logical, physical: b, length: 1, unwritten: false });
  };
  // Walks an indirect block of `level` (1 = pointers to data) covering logical blocks from `first`.
  const indirect = async (b: number, level: number, first: number): Promise<void> => {
    check(b, 'indirect');
    if (seen.has(b)) throw new CorruptError(`ext: inode ${inode.ino}: indirect block ${b} appears twice (a loop)`);
    seen.add(b);
    meta.push(b);
    const buf = await vol.block(b);
    const ptrs = new Uint32Array(perBlock);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    for (let i = 0; i < perBlock; i++) ptrs[i] = dv.getUint32(i * 4, true);
    const span = perBlock ** (level - 1);
    for (let i = 0; i < perBlock; i++) {
      const p = ptrs[i] as number;
      if (p === 0) continue;
      if (level === 1) data(first + i, p);
      else await indirect(p, level - 1, first + i * span);
    }
  };

  for (let i = 0; i < 12; i++) if (words[i]) data(i, words[i] as number);
  let first = 12;
  for (let level = 1; level <= 3; level++) {
    const p = words[11 + level] as number;
    if (p) await indirect(p, level, first);
    first += perBlock ** level;
  }
  return { runs: runs.runs, meta };
}

/** Index of the first run ending after logical block `lb` (runs.length when none). Runs are sorted. */
export function runFrom(runs: readonly Run[], lb: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid] as Run;
    if (r.logical + r.length <= lb) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the run containing logical block `lb`, or -1 (a hole). */
export function findRun(runs: readonly Run[], lb: number): number {
  const i = runFrom(runs, lb);
  const r = runs[i];
  return r && r.logical <= lb ? i : -1;
}
