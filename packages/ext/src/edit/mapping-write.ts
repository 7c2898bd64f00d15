/**
 * Building a file's mapping from its runs: an extent tree (root in i_block, index and leaf blocks
 * below it as needed) or an ext2/3 block map with indirect blocks. Callers count the mapping
 * blocks first (`mappingBlocks`), allocate them, then `buildMapping` fills and writes them.
 */
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
import { buildBlockMap, extentTreeShape, indirectBlockCount } from '../plan/blockmap.js';
import type { Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';

/** Longest unwritten extent (its length field keeps the top bit as the flag). */
const UNWRITTEN_MAX_LEN = EXT_INIT_MAX_LEN - 1;

/** Runs cut to what one extent can hold. */
function toExtents(runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  for (const r of runs) {
    const max = r.unwritten ? UNWRITTEN_MAX_LEN : EXT_INIT_MAX_LEN;
    for (let done = 0; done < r.length; done += max) {
      out.push({
        ...r,
        logical: r.logical + done,
        physical: r.physical + done,
        length: Math.min(max, r.length - done),
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
 * Writes the mapping blocks (taken from `blocks`, exactly `mappingBlocks` of them) and returns the
 * 60 bytes of i_block. Block-map files cannot hold unwritten runs (they are written as data).
 */
export async function buildMapping(
  vol: Volume,
  ino: number,
  generation: number,
  runs: readonly Run[],
  extents: boolean,
  blocks: readonly number[],
): Promise<Uint8Array> {
  const iblock = new Uint8Array(60);
  if (!extents) {
    const map = buildBlockMap(
      runs.map((r) => ({ logical: r.logical, start: r.physical, len: r.length })),
      vol.blockSize / 4,
      blocks,
    );
    for (const b of map.blocks) {
      const buf = new Uint8Array(vol.blockSize);
      const dv = new DataView(buf.buffer);
      b.ptrs.forEach((p, i) => {
        dv.setUint32(i * 4, p, true);
      });
      await vol.writeBlocks(b.block, buf);
    }
    const dv = new DataView(iblock.buffer);
    map.iblock.forEach((p, i) => {
      dv.setUint32(i * 4, p, true);
    });
    return iblock;
  }
  const seed = vol.metadataCsum ? inodeChecksumSeed(vol.csumSeed, ino, generation) : 0;
  const perBlock = extentCapacity(vol.blockSize, false);
  // Level 0: the extents; each level up indexes the blocks of the level below.
  let entries: Array<{ logical: number; encode: (buf: Uint8Array, off: number) => void }> = toExtents(runs).map(
    (r) => ({
      logical: r.logical,
      encode: (buf, off) =>
        extentLeaf.encode(
          { ee_block: r.logical, ee_len: r.unwritten ? r.length + EXT_INIT_MAX_LEN : r.length, ee_start: r.physical },
          buf,
          off,
        ),
    }),
  );
  let depth = 0;
  let next = 0;
  while (entries.length > extentCapacity(60, true)) {
    const parents: typeof entries = [];
    for (let i = 0; i < entries.length; i += perBlock) {
      const chunk = entries.slice(i, i + perBlock);
      const block = blocks[next++] as number;
      const buf = new Uint8Array(vol.blockSize);
      extentHeader.encode(
        { eh_magic: EXT4_EXT_MAGIC, eh_entries: chunk.length, eh_max: perBlock, eh_depth: depth, eh_generation: 0 },
        buf,
      );
      chunk.forEach((e, k) => {
        e.encode(buf, 12 + k * EXTENT_ENTRY_SIZE);
      });
      if (vol.metadataCsum) {
        extentTail.set(buf, extentTailOffset(perBlock), 'eb_checksum', extentBlockChecksum(seed, buf, perBlock));
      }
      await vol.writeBlocks(block, buf);
      const first = (chunk[0] as (typeof chunk)[number]).logical;
      parents.push({
        logical: first,
        encode: (b, off) => extentIndex.encode({ ei_block: first, ei_leaf: block, ei_unused: 0 }, b, off),
      });
    }
    entries = parents;
    depth++;
  }
  extentHeader.encode(
    {
      eh_magic: EXT4_EXT_MAGIC,
      eh_entries: entries.length,
      eh_max: extentCapacity(60, true),
      eh_depth: depth,
      eh_generation: 0,
    },
    iblock,
  );
  entries.forEach((e, k) => {
    e.encode(iblock, 12 + k * EXTENT_ENTRY_SIZE);
  });
  return iblock;
}
