/**
 * How a rebuilt directory is laid out. Order and hashes come from the writer's planner
 * (plan/dir-layout.ts); an htree's leaves are then filled only half way, so that the following
 * inserts land in place (one block write each) and rebuilds stay rare: amortised O(1) per entry.
 */
import { direntSize } from '../format/dirent.js';
import { type DirLayout, layoutDirectory } from '../plan/dir-layout.js';
import type { Volume } from '../read/volume.js';
import { dxLimit, leafLimit } from './dir-block.js';

/** Leaf starts over hash-ordered entries, at most `capacity` bytes each, keeping equal hashes together where possible. */
function pack(sizes: readonly number[], hashes: readonly number[], capacity: number): number[] {
  const starts = [0];
  let used = 0;
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i] as number;
    if (used + s > capacity && i > (starts[starts.length - 1] as number)) {
      let at = i;
      const leafStart = starts[starts.length - 1] as number;
      while (at > leafStart + 1 && hashes[at] === hashes[at - 1]) at--;
      if (hashes[at] === hashes[at - 1]) at = i;
      starts.push(at);
      used = 0;
      for (let k = at; k < i; k++) used += sizes[k] as number;
    }
    used += s;
  }
  return starts;
}

/**
 * The layout of a rebuilt directory, in the planner's form (so the writer's `directoryBlocks`
 * encodes it): linear as the planner packs it, or an htree over the planner's hash order with
 * half-full leaves (full ones when half-full would need more index levels than allowed).
 */
export function planDirectory(
  vol: Volume,
  names: readonly Uint8Array[],
  hashVersion: number,
  dirIndex: boolean,
  largeDir: boolean,
): DirLayout {
  const layout = layoutDirectory(names, {
    blockSize: vol.blockSize,
    csum: vol.metadataCsum,
    dirIndex,
    largeDir,
    hashVersion,
    hashSeed: vol.sb.s_hash_seed,
  });
  if (layout.hashes === undefined) return layout;
  const byChild = layout.hashes;
  const hashes = Array.from(layout.order, (k) => byChild[k] as number);
  const sizes = Array.from(layout.order, (k) => direntSize((names[k] as Uint8Array).length));
  const root = dxLimit(vol, true);
  const node = dxLimit(vol, false);
  const half = pack(sizes, hashes, Math.floor(leafLimit(vol) / 2));
  const levels = indexLevels(half.length, root, node);
  if (levels > (largeDir ? 2 : 1)) return layout;
  let nodes = 0;
  for (let l = 0, n = half.length; l < levels; l++) {
    n = Math.ceil(n / node);
    nodes += n;
  }
  return { ...layout, leafStart: half, indexLevels: levels, blocks: 1 + nodes + half.length };
}

/** Levels of dx nodes below the root that `leaves` leaf blocks need. */
function indexLevels(leaves: number, root: number, node: number): number {
  let levels = 0;
  for (let n = leaves; n > root; n = Math.ceil(n / node)) levels++;
  return levels;
}
