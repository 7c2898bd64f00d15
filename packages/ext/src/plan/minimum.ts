/**
 * The smallest filesystem that holds a tree: plan at a lower bound, grow by what the plan lacked,
 * repeat until it fits (overhead grows with the size, so a few rounds converge), then add headroom.
 */
import { NoSpaceError } from '@fstool/fs';
import { INO } from '../format/inode.js';
import { type FeatureSet, hasFeature } from '../format/superblock.js';
import type { DirLayout } from './dir-layout.js';
import { computeGeometry } from './geometry.js';
import type { ExtOptions } from './options.js';
import { dataRuns, makePlan } from './plan.js';
import type { TreeSummary } from './summary.js';

const MiB = 2 ** 20;

/**
 * Free blocks an auto-sized filesystem keeps beyond what the tree needs, so lost+found can grow
 * and the next small `add` fits (free inodes: SPARE_INODES in geometry.ts).
 */
export const AUTO_FREE_BLOCKS = 32;
/** The fewest blocks that get mke2fs' default journal (smaller filesystems get none). */
const JOURNAL_MIN_FS_BLOCKS = 2048;

export interface MinimumInput {
  summary: TreeSummary;
  opts: ExtOptions;
  features: FeatureSet;
  /** The hash seed the build will use; when unknown, htree directories get slack for another hash order. */
  hashSeed?: Uint8Array;
}

/** Inodes a tree needs: reserved ones, lost+found, one per inode-holding entry, plus headroom. */
export function inodesNeeded(summary: TreeSummary, opts: ExtOptions): number {
  const n = INO.first + summary.inodeCount + (summary.lostFound === undefined ? 0 : -1);
  return Math.ceil(n * (1 + (opts.inodeHeadroom ?? 0)));
}

/** Directory layouts depend on the block size only (same features): reused across the tries. */
type DirCaches = Map<number, Map<number, DirLayout>>;

function cacheFor(caches: DirCaches, blockSize: number): Map<number, DirLayout> {
  let c = caches.get(blockSize);
  if (!c) {
    c = new Map();
    caches.set(blockSize, c);
  }
  return c;
}

/** Plans at `bytes` with the caller's options; undefined when it fits, else the NoSpaceError. */
function tryPlan(input: MinimumInput, bytes: number, opts: ExtOptions, caches: DirCaches): NoSpaceError | undefined {
  const { summary, features } = input;
  const seed = input.hashSeed ?? new Uint8Array(16);
  try {
    const geo = computeGeometry({ size: bytes, opts, features, inodesNeeded: inodesNeeded(summary, opts) });
    makePlan({ summary, geo, uuid: seed, hashSeed: seed, createdAt: 0, dirCache: cacheFor(caches, geo.blockSize) });
    return undefined;
  } catch (e) {
    if (e instanceof NoSpaceError) return e;
    throw e;
  }
}

function smallestAt(input: MinimumInput, blockSize: number, caches: DirCaches): number {
  const { summary, opts, features } = input;
  const needed = inodesNeeded(summary, opts);
  const at = { ...opts, blockSize };
  // Lower bound: the blocks file data occupies (holes take none, so a 5 GiB sparse file holding
  // one byte starts the search at a few blocks, not at 5 GiB). An auto-sized ext3/ext4 is big
  // enough for the default journal unless the caller sized the journal or asks for the bare fit.
  const journal =
    !opts.fitOnly &&
    hasFeature(features, 'has_journal') &&
    opts.journalBlocks === undefined &&
    opts.journalSize === undefined;
  let blocks = journal ? JOURNAL_MIN_FS_BLOCKS : 64;
  for (const n of summary.nodes) {
    if (n.entry.kind !== 'file' || n.linkOf !== undefined) continue;
    for (const r of dataRuns(n.entry.size, blockSize, n.holes)) blocks += r.len;
  }
  for (let round = 0; round < 64; round++) {
    let inodesCount = needed;
    let trimmed = 0;
    try {
      const geo = computeGeometry({ size: blocks * blockSize, opts: at, features, inodesNeeded: needed });
      inodesCount = geo.inodesCount;
      trimmed = geo.trimmed;
    } catch (e) {
      if (!(e instanceof NoSpaceError)) throw e;
    }
    if (trimmed) {
      blocks += trimmed;
      continue;
    }
    const failed = tryPlan(input, blocks * blockSize, at, caches);
    if (!failed) return blocks * blockSize;
    const m = /at least (\d+) bytes/.exec(failed.message);
    const want = m ? Math.ceil(Number(m[1]) / blockSize) : blocks * 2;
    blocks = Math.max(blocks + 1, want, inodeBound(inodesCount, needed, blocks));
  }
  throw new NoSpaceError('could not find a size that holds the tree');
}

/** When inodes ran out under an explicit ratio, grow the size in proportion. */
function inodeBound(have: number, need: number, blocks: number): number {
  return have >= need ? blocks : Math.ceil((blocks * need) / have);
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * Smallest device size in bytes for the tree, plus `opts.headroom` (a fraction of it). The tree
 * also fits that size rounded up to 4 KiB or to 1 MiB (what callers align to): mke2fs' geometry
 * is not monotonic everywhere (inode tables grow by whole blocks per group), so those are checked.
 */
export function minimumSize(input: MinimumInput): number {
  const { opts } = input;
  const caches: DirCaches = new Map();
  let size: number;
  let blockSize = opts.blockSize;
  if (blockSize !== undefined) size = smallestAt(input, blockSize, caches);
  else {
    // mke2fs picks 1 KiB blocks below 512 MiB: size with those first, switch when the result is bigger.
    size = smallestAt(input, 1024, caches);
    blockSize = 1024;
    if (size >= 512 * MiB) {
      blockSize = 4096;
      size = Math.max(smallestAt(input, 4096, caches), 512 * MiB);
    }
  }
  if (!input.hashSeed) {
    // Another seed sorts htree entries differently, and greedy packing may then need a few more leaves.
    let slack = 0;
    for (const layout of cacheFor(caches, blockSize).values()) {
      if (layout.hashes) slack += Math.ceil(layout.leafStart.length / 16) + 1;
    }
    size += slack * blockSize;
  }
  if (!opts.fitOnly) size += AUTO_FREE_BLOCKS * blockSize;
  let result = alignUp(size * (1 + (opts.headroom ?? 0)), blockSize);
  for (let round = 0; round < 64; round++) {
    let failed: { at: number; err: NoSpaceError } | undefined;
    for (const at of [result, alignUp(result, 4096), alignUp(result, MiB)]) {
      const err = tryPlan(input, at, opts, caches);
      if (err) {
        failed = { at, err };
        break;
      }
    }
    if (!failed) return result;
    // A bigger size may need more (a journal appears at 2048 blocks, inode tables grow by blocks).
    const m = /at least (\d+) bytes/.exec(failed.err.message);
    result = alignUp(Math.max(failed.at + blockSize, m ? Number(m[1]) : 0), blockSize);
  }
  return result;
}
