/**
 * How a file's blocks are mapped: extents for ext4 (a tree whose root sits in i_block) or the
 * classic block map of ext2/3 (12 direct blocks, then single, double and triple indirect blocks).
 * Both the planner (to count mapping blocks) and the writer (to fill them) use these functions.
 */
import { EXT_INIT_MAX_LEN, extentCapacity } from '../format/extent.js';
import type { Run } from './layout.js';

/** Logical block `logical` of the file is at physical `start`, for `len` blocks. */
export interface Extent {
  logical: number;
  start: number;
  len: number;
}

/** Pairs the file's logical runs with the physical runs handed out for them, cutting at `maxLen`. */
export function zipExtents(logical: readonly Run[], physical: readonly Run[], maxLen = EXT_INIT_MAX_LEN): Extent[] {
  const out: Extent[] = [];
  let pi = 0;
  let pOff = 0;
  for (const l of logical) {
    let done = 0;
    while (done < l.len) {
      const p = physical[pi] as Run;
      const len = Math.min(l.len - done, p.len - pOff, maxLen);
      const last = out[out.length - 1];
      if (
        last &&
        last.logical + last.len === l.start + done &&
        last.start + last.len === p.start + pOff &&
        last.len + len <= maxLen
      ) {
        last.len += len;
      } else out.push({ logical: l.start + done, start: p.start + pOff, len });
      done += len;
      pOff += len;
      if (pOff === p.len) {
        pi++;
        pOff = 0;
      }
    }
  }
  return out;
}

/** Blocks of each level of an extent tree over `count` extents (leaves first); empty when the root holds them. */
export function extentTreeShape(count: number, blockSize: number): number[] {
  const root = extentCapacity(60, true);
  const per = extentCapacity(blockSize, false);
  const levels: number[] = [];
  let n = count;
  while (n > root) {
    n = Math.ceil(n / per);
    levels.push(n);
  }
  return levels;
}

/** Distinct `span`-sized chunks of [base, end) that the (ascending) runs touch. */
function distinctChunks(logical: readonly Run[], base: number, end: number, span: number): number {
  let count = 0;
  let last = -1;
  for (const r of logical) {
    const s = Math.max(r.start, base);
    const e = Math.min(r.start + r.len, end);
    if (s >= e) continue;
    const c0 = Math.floor((s - base) / span);
    const c1 = Math.floor((e - 1 - base) / span);
    count += c1 - c0 + 1 - (c0 === last ? 1 : 0);
    last = c1;
  }
  return count;
}

/** Number of indirect blocks a block map needs for these logical runs (addresses per block `apb`). */
export function indirectBlockCount(logical: readonly Run[], apb: number): number {
  const d1 = 12;
  const d2 = d1 + apb;
  const d3 = d2 + apb * apb;
  const d4 = d3 + apb ** 3;
  let count = distinctChunks(logical, d1, d2, apb);
  const double = distinctChunks(logical, d2, d3, apb);
  if (double) count += 1 + double;
  const triple = distinctChunks(logical, d3, d4, apb);
  if (triple) count += 1 + distinctChunks(logical, d3, d4, apb * apb) + triple;
  return count;
}

/**
 * Builds a block map: i_block's 15 pointers and the contents of every indirect block, taking
 * indirect block numbers from `mapBlocks` in walk order (each parent before its children, in
 * logical order).
 */
export function buildBlockMap(
  extents: readonly Extent[],
  apb: number,
  mapBlocks: readonly number[],
): { iblock: Uint32Array; blocks: Array<{ block: number; ptrs: Uint32Array }> } {
  const iblock = new Uint32Array(15);
  const blocks: Array<{ block: number; ptrs: Uint32Array }> = [];
  let next = 0;
  const alloc = () => {
    const b = mapBlocks[next++];
    if (b === undefined) throw new RangeError('block map needs more indirect blocks than planned');
    const ptrs = new Uint32Array(apb);
    blocks.push({ block: b, ptrs });
    return { b, ptrs };
  };
  const d1 = 12;
  const d2 = d1 + apb;
  const d3 = d2 + apb * apb;
  // The pointer arrays on the path to the current leaf, created parent-first as the walk needs them.
  let single: Uint32Array | undefined;
  let double: Uint32Array | undefined;
  let triple: Uint32Array | undefined;
  const mids = new Map<number, Uint32Array>();
  let leafKey = -1;
  let leaf: Uint32Array | undefined;
  const leafFor = (l: number): [Uint32Array, number] => {
    if (l < d2) {
      if (!single) {
        const n = alloc();
        single = n.ptrs;
        iblock[12] = n.b;
      }
      return [single, l - d1];
    }
    const key = Math.floor((l - d2) / apb);
    if (key !== leafKey) {
      leafKey = key;
      if (l < d3) {
        if (!double) {
          const n = alloc();
          double = n.ptrs;
          iblock[13] = n.b;
        }
        const n = alloc();
        double[key] = n.b;
        leaf = n.ptrs;
      } else {
        const o = l - d3;
        if (!triple) {
          const n = alloc();
          triple = n.ptrs;
          iblock[14] = n.b;
        }
        const a = Math.floor(o / (apb * apb));
        let mid = mids.get(a);
        if (!mid) {
          const n = alloc();
          mid = n.ptrs;
          mids.set(a, mid);
          triple[a] = n.b;
        }
        const n = alloc();
        mid[Math.floor(o / apb) % apb] = n.b;
        leaf = n.ptrs;
      }
    }
    return [leaf as Uint32Array, (l - d2) % apb];
  };
  for (const x of extents) {
    let i = 0;
    while (i < x.len) {
      const l = x.logical + i;
      if (l < d1) {
        iblock[l] = x.start + i;
        i++;
        continue;
      }
      const [ptrs, at] = leafFor(l);
      const n = Math.min(x.len - i, apb - at);
      for (let k = 0; k < n; k++) ptrs[at + k] = x.start + i + k;
      i += n;
    }
  }
  return { iblock, blocks };
}
