/**
 * The smallest filesystem that holds a tree: plan at a lower bound, grow by what the plan lacked,
 * repeat until it fits (overhead grows with the size, so a few rounds converge), then add headroom.
 */
import { NoSpaceError } from '@fstool/fs';
import { INO } from '../format/inode.js';
import type { FeatureSet } from '../format/superblock.js';
import type { DirLayout } from './dir-layout.js';
import { computeGeometry } from './geometry.js';
import type { ExtOptions } from './options.js';
import { makePlan } from './plan.js';
import type { TreeSummary } from './summary.js';

const MiB = 2 ** 20;

export interface MinimumInput {
  summary: TreeSummary;
  opts: ExtOptions;
  features: FeatureSet;
}

/** Inodes a tree needs: reserved ones, lost+found, one per inode-holding entry, plus headroom. */
export function inodesNeeded(summary: TreeSummary, opts: ExtOptions): number {
  const n = INO.first + summary.inodeCount + (summary.lostFound === undefined ? 0 : -1);
  return Math.ceil(n * (1 + (opts.inodeHeadroom ?? 0)));
}

function smallestAt(input: MinimumInput, blockSize: number): number {
  const { summary, opts, features } = input;
  const seed = new Uint8Array(16);
  const dirCache = new Map<number, DirLayout>();
  const needed = inodesNeeded(summary, opts);
  // Lower bound: the file data alone.
  let blocks = 64;
  for (const n of summary.nodes) {
    if (n.entry.kind === 'file' && n.linkOf === undefined) blocks += Math.ceil(n.entry.size / blockSize);
  }
  for (let round = 0; round < 64; round++) {
    let inodesCount = needed;
    try {
      const geo = computeGeometry({
        size: blocks * blockSize,
        opts: { ...opts, blockSize },
        features,
        inodesNeeded: needed,
      });
      inodesCount = geo.inodesCount;
      if (geo.trimmed) {
        blocks += geo.trimmed;
        continue;
      }
      makePlan({ summary, geo, uuid: seed, hashSeed: seed, createdAt: 0, dirCache });
      return blocks * blockSize;
    } catch (e) {
      if (!(e instanceof NoSpaceError)) throw e;
      const m = /at least (\d+) bytes/.exec(e.message);
      const want = m ? Math.ceil(Number(m[1]) / blockSize) : blocks * 2;
      blocks = Math.max(blocks + 1, want, inodeBound(inodesCount, needed, blocks));
    }
  }
  throw new NoSpaceError('could not find a size that holds the tree');
}

/** When inodes ran out under an explicit ratio, grow the size in proportion. */
function inodeBound(have: number, need: number, blocks: number): number {
  return have >= need ? blocks : Math.ceil((blocks * need) / have);
}

/** Smallest device size in bytes for the tree, plus `opts.headroom` (a fraction of it). */
export function minimumSize(input: MinimumInput): number {
  const { opts } = input;
  let size: number;
  let blockSize = opts.blockSize;
  if (blockSize !== undefined) size = smallestAt(input, blockSize);
  else {
    // mke2fs picks 1 KiB blocks below 512 MiB: size with those first, switch when the result is bigger.
    size = smallestAt(input, 1024);
    blockSize = 1024;
    if (size >= 512 * MiB) {
      blockSize = 4096;
      size = Math.max(smallestAt(input, 4096), 512 * MiB);
    }
  }
  const withHeadroom = size * (1 + (opts.headroom ?? 0));
  return Math.ceil(withHeadroom / blockSize) * blockSize;
}
