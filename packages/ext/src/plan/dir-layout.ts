/**
 * How a directory's entries are packed into blocks: linear (entries in tree order, '.' and '..'
 * first) when one block holds them, else an htree: entries sorted by name hash into leaf blocks
 * under a dx root and, for big directories, one (or with large_dir two) levels of dx nodes.
 */
import {
  DIR_TAIL_SIZE,
  DX_ENTRY_SIZE,
  DX_NODE_ENTRIES,
  DX_ROOT_ENTRIES,
  DX_TAIL_SIZE,
  direntSize,
} from '../format/dirent.js';
import { nameHash } from '../format/htree.js';

export interface DirParams {
  blockSize: number;
  /** metadata_csum: leaf blocks end in a 12-byte tail, dx blocks in an 8-byte one. */
  csum: boolean;
  dirIndex: boolean;
  largeDir: boolean;
  /** Effective hash version (signed/unsigned variant applied). */
  hashVersion: number;
  hashSeed: Uint8Array;
}

export interface DirLayout {
  /** Child positions (indices into the directory's child list) in on-disk order. */
  order: Uint32Array;
  /** Start of each leaf block in `order`; leaf i holds order[leafStart[i] .. leafStart[i+1]). */
  leafStart: number[];
  /** htree only: the hash of each child in `order`. */
  hashes?: Uint32Array;
  /** htree only: levels of dx nodes below the root (0..2) and their fan-out per level. */
  indexLevels?: number;
  /** Total blocks (root + dx nodes + leaves). */
  blocks: number;
}

/** Packs entry sizes into blocks of `capacity` bytes; the first block starts with `firstUsed` bytes taken. */
function pack(sizes: ArrayLike<number>, order: Uint32Array, capacity: number, firstUsed: number): number[] {
  const starts = [0];
  let used = firstUsed;
  for (let i = 0; i < order.length; i++) {
    const s = sizes[order[i] as number] as number;
    if (used + s > capacity) {
      starts.push(i);
      used = 0;
    }
    used += s;
  }
  return starts;
}

/**
 * Chooses the layout of a directory whose children have these UTF-8 names. Returns undefined
 * htree fields for linear directories.
 */
export function layoutDirectory(names: readonly Uint8Array[], p: DirParams): DirLayout {
  const n = names.length;
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) sizes[i] = direntSize((names[i] as Uint8Array).length);
  const leafCapacity = p.blockSize - (p.csum ? DIR_TAIL_SIZE : 0);
  const linearOrder = new Uint32Array(n);
  for (let i = 0; i < n; i++) linearOrder[i] = i;
  const linear = pack(sizes, linearOrder, leafCapacity, 24);
  if (linear.length === 1 || !p.dirIndex) return { order: linearOrder, leafStart: linear, blocks: linear.length };

  const hashes = new Uint32Array(n);
  const minors = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = nameHash(names[i] as Uint8Array, p.hashVersion, p.hashSeed);
    hashes[i] = h.hash;
    minors[i] = h.minor;
  }
  const order = Uint32Array.from(linearOrder).sort((a, b) => {
    const d = (hashes[a] as number) - (hashes[b] as number);
    return d !== 0 ? d : (minors[a] as number) - (minors[b] as number) || a - b;
  });
  const leafStart = pack(sizes, order, leafCapacity, 0);
  // Keep equal hashes in one leaf where possible: a leaf boundary inside a run of equal hashes
  // would need the collision bit on the next leaf's index entry.
  for (let k = 1; k < leafStart.length; k++) {
    let s = leafStart[k] as number;
    const prevStart = leafStart[k - 1] as number;
    while (s > prevStart + 1 && hashes[order[s] as number] === hashes[order[s - 1] as number]) s--;
    if (s > prevStart && s !== leafStart[k]) {
      leafStart[k] = s;
      // Re-pack what follows from the moved boundary.
      const rest = pack(sizes, order.subarray(s), leafCapacity, 0).map((x) => x + s);
      leafStart.splice(k, leafStart.length - k, ...rest);
    }
  }
  const { root: rootLimit, node: nodeLimit } = dxLimits(p.blockSize, p.csum);
  const leaves = leafStart.length;
  let indexLevels = 0;
  let nodes = 0;
  if (leaves > rootLimit) {
    const level1 = Math.ceil(leaves / nodeLimit);
    if (level1 <= rootLimit) {
      indexLevels = 1;
      nodes = level1;
    } else if (p.largeDir && Math.ceil(level1 / nodeLimit) <= rootLimit) {
      indexLevels = 2;
      nodes = level1 + Math.ceil(level1 / nodeLimit);
    } else {
      // Too big for an index without large_dir: a linear directory is still valid.
      return { order: linearOrder, leafStart: linear, blocks: linear.length };
    }
  }
  return { order, leafStart, hashes, indexLevels, blocks: 1 + nodes + leaves };
}

/** Fan-out limits of dx blocks for a block size. */
export function dxLimits(blockSize: number, csum: boolean): { root: number; node: number } {
  const tail = csum ? DX_TAIL_SIZE : 0;
  return {
    root: (blockSize - DX_ROOT_ENTRIES - tail) / DX_ENTRY_SIZE,
    node: (blockSize - DX_NODE_ENTRIES - tail) / DX_ENTRY_SIZE,
  };
}
