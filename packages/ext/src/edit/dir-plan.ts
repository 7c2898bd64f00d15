/**
 * How a rebuilt directory is laid out. Order and hashes come from the writer's planner
 * (plan/dir-layout.ts); an htree's leaves are then filled only half way, so that the following
 * inserts land in place (one block write each) and rebuilds stay rare: amortised O(1) per entry.
 */
import { direntSize } from '../format/dirent.js';
import { layoutDirectory } from '../plan/dir-layout.js';
import type { Volume } from '../read/volume.js';
import { dxLimit, leafLimit, type NewDirent } from './dir-block.js';

export interface DirPlan {
  /** Entries of each leaf block, in order ('.' and '..' not included). */
  leaves: NewDirent[][];
  /** htree only: each leaf's starting hash (collision bit set where a run of equal hashes continues). */
  leafHashes?: number[];
  /** htree only: dx node levels below the root (0, 1, or 2 with large_dir). */
  levels?: number;
}

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

export function planDirectory(
  vol: Volume,
  entries: readonly NewDirent[],
  hashVersion: number,
  dirIndex: boolean,
  largeDir: boolean,
): DirPlan {
  const layout = layoutDirectory(
    entries.map((e) => e.name),
    {
      blockSize: vol.blockSize,
      csum: vol.metadataCsum,
      dirIndex,
      largeDir,
      hashVersion,
      hashSeed: vol.sb.s_hash_seed,
    },
  );
  const slice = (order: ArrayLike<number>, starts: readonly number[]) =>
    starts.map((s, i) =>
      Array.from(
        { length: (starts[i + 1] ?? order.length) - s },
        (_, k) => entries[order[s + k] as number] as NewDirent,
      ),
    );
  if (layout.hashes === undefined) return { leaves: slice(layout.order, layout.leafStart) };
  const allHashes = layout.hashes;
  const hashes = Array.from(layout.order, (k) => allHashes[k] as number);
  const sizes = Array.from(layout.order, (k) => direntSize((entries[k] as NewDirent).name.length));
  const root = dxLimit(vol, true);
  const node = dxLimit(vol, false);
  const maxLevels = largeDir ? 2 : 1;
  let starts = pack(sizes, hashes, Math.floor(leafLimit(vol) / 2));
  if (indexLevels(starts.length, root, node) > maxLevels) starts = layout.leafStart;
  const leafHashes = starts.map((s, i) =>
    i === 0 ? 0 : ((hashes[s] as number) | (hashes[s] === hashes[s - 1] ? 1 : 0)) >>> 0,
  );
  return { leaves: slice(layout.order, starts), leafHashes, levels: indexLevels(starts.length, root, node) };
}

/** Levels of dx nodes below the root that `leaves` leaf blocks need. */
export function indexLevels(leaves: number, root: number, node: number): number {
  let levels = 0;
  for (let n = leaves; n > root; n = Math.ceil(n / node)) levels++;
  return levels;
}
