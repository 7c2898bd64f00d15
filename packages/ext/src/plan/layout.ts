/**
 * Where each group's metadata goes, and a block allocator that hands out the remaining blocks in
 * ascending order. With flex_bg the bitmaps and inode tables of 16 groups are packed together at
 * the start of the flex group (block bitmaps, then inode bitmaps, then inode tables), as mke2fs does.
 */
import { NoSpaceError } from '@fstool/fs';
import { type Geometry, groupFirstBlock, superblockAreaBlocks } from './geometry.js';

/** A run of blocks [start, start + len). */
export interface Run {
  start: number;
  len: number;
}

export interface GroupTables {
  blockBitmap: number[];
  inodeBitmap: number[];
  inodeTable: number[];
  /** Every metadata run (superblock areas, bitmaps, tables), sorted. */
  used: Run[];
}

function insertSorted(runs: Run[], run: Run): void {
  let i = runs.length;
  while (i > 0 && (runs[i - 1] as Run).start > run.start) i--;
  runs.splice(i, 0, run);
}

/** First start >= from where [start, start + len) misses every run of `taken` (sorted). */
function firstFit(taken: Run[], from: number, len: number): number {
  let at = from;
  for (const r of taken) {
    if (r.start + r.len <= at) continue;
    if (r.start >= at + len) break;
    at = r.start + r.len;
  }
  return at;
}

/** Places the superblock areas, bitmaps and inode tables of every group. */
export function placeGroupTables(geo: Geometry): GroupTables {
  const used: Run[] = [];
  for (let g = 0; g < geo.groups; g++) {
    const n = superblockAreaBlocks(geo, g);
    if (n) used.push({ start: groupFirstBlock(geo, g), len: n });
  }
  // Block 0 of a 1 KiB-block filesystem precedes the first group; it is never allocated.
  const blockBitmap: number[] = [];
  const inodeBitmap: number[] = [];
  const inodeTable: number[] = [];
  const place = (from: number, len: number, limit: number, what: string) => {
    const at = firstFit(used, from, len);
    if (at + len > limit) throw new NoSpaceError(`no room for ${what} (${len} blocks at ${at}, limit ${limit})`);
    insertSorted(used, { start: at, len });
    return at;
  };
  for (let first = 0; first < geo.groups; first += geo.flexSize) {
    const last = Math.min(first + geo.flexSize, geo.groups);
    const start = groupFirstBlock(geo, first);
    // Without flex_bg each group's tables must stay inside the group.
    const limit = geo.flexSize === 1 ? Math.min(start + geo.blocksPerGroup, geo.blocksCount) : geo.blocksCount;
    for (let g = first; g < last; g++) blockBitmap[g] = place(start, 1, limit, `group ${g}'s block bitmap`);
    for (let g = first; g < last; g++) inodeBitmap[g] = place(start, 1, limit, `group ${g}'s inode bitmap`);
    for (let g = first; g < last; g++) {
      inodeTable[g] = place(start, geo.inodeBlocksPerGroup, limit, `group ${g}'s inode table`);
    }
  }
  // Merge touching runs so later walks stay short.
  const merged: Run[] = [];
  for (const r of used) {
    const prev = merged[merged.length - 1];
    if (prev && prev.start + prev.len === r.start) prev.len += r.len;
    else merged.push({ ...r });
  }
  return { blockBitmap, inodeBitmap, inodeTable, used: merged };
}

/**
 * Hands out free blocks in ascending order, skipping metadata. Every allocation is recorded so
 * bitmaps and counts can be produced later; memory grows with the number of runs, not blocks.
 */
export class BlockAllocator {
  #next: number;
  #skip = 0;
  readonly allocated: Run[] = [];

  constructor(
    geo: Geometry,
    private readonly metadata: Run[],
  ) {
    this.#next = geo.firstDataBlock;
    this.#advance();
  }

  /** Blocks handed out so far, metadata not included. */
  count = 0;

  #advance(): void {
    for (;;) {
      const m = this.metadata[this.#skip];
      if (!m || m.start > this.#next) return;
      if (m.start + m.len > this.#next) this.#next = m.start + m.len;
      this.#skip++;
    }
  }

  /** The next `n` free blocks as runs (contiguous except around metadata). */
  take(n: number): Run[] {
    const runs: Run[] = [];
    let left = n;
    while (left > 0) {
      this.#advance();
      const m = this.metadata[this.#skip];
      // Past the end the allocator keeps counting, so a failed fit can say how much was needed.
      const end = m ? m.start : Number.MAX_SAFE_INTEGER;
      const len = Math.min(left, end - this.#next);
      const run = { start: this.#next, len };
      runs.push(run);
      const prev = this.allocated[this.allocated.length - 1];
      if (prev && prev.start + prev.len === run.start) prev.len += len;
      else this.allocated.push({ ...run });
      this.#next += len;
      left -= len;
    }
    this.count += n;
    return runs;
  }

  /** One block. */
  one(): number {
    return (this.take(1)[0] as Run).start;
  }

  /** First block not handed out yet: past `blocksCount` means the tree did not fit. */
  get end(): number {
    return this.#next;
  }
}
