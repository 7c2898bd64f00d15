/**
 * A file's mapping from its runs, with the writer's encoders (write/mapping.ts): an extent tree
 * or an ext2/3 block map. Callers count the mapping blocks first (`mappingBlocks`), allocate
 * them, then `buildMapping` writes them and returns i_block.
 */
import { UnsupportedError } from '@fstool/fs';
import { inodeChecksumSeed } from '../checksum.js';
import { EXT_INIT_MAX_LEN } from '../format/extent.js';
import { type Extent, extentTreeShape, indirectBlockCount } from '../plan/blockmap.js';
import type { Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';
import { blockMapMapping, extentMapping } from '../write/mapping.js';
import { writeFresh } from './tx-device.js';

/** Runs as extents no longer than one extent can be. */
function toExtents(runs: readonly Run[]): Extent[] {
  const out: Extent[] = [];
  for (const r of runs) {
    if (r.unwritten) throw new UnsupportedError('ext: remapping unwritten extents is not supported');
    for (let done = 0; done < r.length; done += EXT_INIT_MAX_LEN) {
      out.push({
        logical: r.logical + done,
        start: r.physical + done,
        len: Math.min(EXT_INIT_MAX_LEN, r.length - done),
      });
    }
  }
  return out;
}

/** Blocks the mapping of these runs needs outside the inode. */
export function mappingBlocks(vol: Volume, runs: readonly Run[], extents: boolean): number {
  if (extents) return extentTreeShape(toExtents(runs).length, vol.blockSize).reduce((a, b) => a + b, 0);
  return indirectBlockCount(
    runs.map((r) => ({ start: r.logical, len: r.length })),
    vol.blockSize / 4,
  );
}

/**
 * Blocks the mapping of `count` data blocks from logical block 0 needs at worst: with extents, one
 * extent per block; a block map depends on the logical range only.
 */
export function worstMappingBlocks(vol: Volume, count: number, extents: boolean): number {
  if (extents) return extentTreeShape(count, vol.blockSize).reduce((a, b) => a + b, 0);
  return indirectBlockCount([{ start: 0, len: count }], vol.blockSize / 4);
}

/** Writes the mapping blocks (newly allocated, see writeFresh; exactly `mappingBlocks` of them, from `blocks`) and returns i_block. */
export async function buildMapping(
  vol: Volume,
  ino: number,
  generation: number,
  runs: readonly Run[],
  extents: boolean,
  blocks: readonly number[],
): Promise<Uint8Array> {
  const seed = vol.metadataCsum ? inodeChecksumSeed(vol.csumSeed, ino, generation) : undefined;
  const out = extents
    ? extentMapping(toExtents(runs), blocks, vol.blockSize, seed)
    : blockMapMapping(toExtents(runs), blocks, vol.blockSize);
  for (const b of out.blocks) await writeFresh(vol, b.block, b.data);
  return out.iblock;
}
