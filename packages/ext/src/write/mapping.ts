/**
 * The bytes of a file's block mapping: an extent tree (root in i_block, deeper levels in the
 * planned blocks, each with its checksum tail) or a classic block map with indirect blocks.
 */
import { extentBlockChecksum } from '../checksum.js';
import {
  EXT4_EXT_MAGIC,
  EXTENT_ENTRY_SIZE,
  extentCapacity,
  extentHeader,
  extentIndex,
  extentLeaf,
  extentTail,
  extentTailOffset,
} from '../format/extent.js';
import { I_BLOCK_SIZE } from '../format/inode.js';
import { buildBlockMap, type Extent, extentTreeShape } from '../plan/blockmap.js';
import { putFields } from './fields.js';

export interface MappingOut {
  iblock: Uint8Array;
  blocks: Array<{ block: number; data: Uint8Array }>;
}

/** i_block buffers are cut from shared slabs: one cached DataView per slab, not one per inode. */
const SLAB_BYTES = 1024 * I_BLOCK_SIZE;
let slab = new Uint8Array(0);
let slabUsed = 0;

function newIblock(): Uint8Array {
  if (slabUsed + I_BLOCK_SIZE > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  slabUsed += I_BLOCK_SIZE;
  return slab.subarray(slabUsed - I_BLOCK_SIZE, slabUsed);
}

/** Extent tree for `extents` using `mapBlocks` (leaves first, then each index level). `seed`: inode checksum seed, or undefined without metadata_csum. */
export function extentMapping(
  extents: readonly Extent[],
  mapBlocks: readonly number[],
  blockSize: number,
  seed: number | undefined,
): MappingOut {
  const shape = extents.length <= extentCapacity(I_BLOCK_SIZE, true) ? [] : extentTreeShape(extents.length, blockSize);
  const per = extentCapacity(blockSize, false);
  const blocks: Array<{ block: number; data: Uint8Array }> = [];
  // Items of the level being built: leaf extents first, then (first logical, block) pairs.
  let items: Array<{ logical: number; block: number }> = [];
  let next = 0;
  for (let depth = 0; depth < shape.length; depth++) {
    const count = shape[depth] as number;
    const up: Array<{ logical: number; block: number }> = [];
    const total = depth === 0 ? extents.length : items.length;
    for (let b = 0; b < count; b++) {
      const block = mapBlocks[next++] as number;
      const data = new Uint8Array(blockSize);
      const from = b * per;
      const to = Math.min(total, from + per);
      extentHeader.encode(
        { eh_magic: EXT4_EXT_MAGIC, eh_entries: to - from, eh_max: per, eh_depth: depth, eh_generation: 0 },
        data,
      );
      for (let k = from; k < to; k++) {
        const at = 12 + (k - from) * EXTENT_ENTRY_SIZE;
        if (depth === 0) {
          const x = extents[k] as Extent;
          putFields(extentLeaf, data, at, { ee_block: x.logical, ee_len: x.len, ee_start: x.start });
        } else {
          const it = items[k] as { logical: number; block: number };
          extentIndex.encode({ ei_block: it.logical, ei_leaf: it.block, ei_unused: 0 }, data, at);
        }
      }
      if (seed !== undefined)
        extentTail.encode({ eb_checksum: extentBlockChecksum(seed, data, per) }, data, extentTailOffset(per));
      blocks.push({ block, data });
      const firstLogical =
        depth === 0 ? (extents[from] as Extent).logical : (items[from] as { logical: number }).logical;
      up.push({ logical: firstLogical, block });
    }
    items = up;
  }
  const iblock = newIblock();
  const rootMax = extentCapacity(I_BLOCK_SIZE, true);
  const depth = shape.length;
  const n = depth === 0 ? extents.length : items.length;
  putFields(extentHeader, iblock, 0, { eh_magic: EXT4_EXT_MAGIC, eh_entries: n, eh_max: rootMax, eh_depth: depth });
  for (let k = 0; k < n; k++) {
    const at = 12 + k * EXTENT_ENTRY_SIZE;
    if (depth === 0) {
      const x = extents[k] as Extent;
      putFields(extentLeaf, iblock, at, { ee_block: x.logical, ee_len: x.len, ee_start: x.start });
    } else {
      const it = items[k] as { logical: number; block: number };
      extentIndex.encode({ ei_block: it.logical, ei_leaf: it.block, ei_unused: 0 }, iblock, at);
    }
  }
  return { iblock, blocks };
}

/** ext2/ext3 block map: 12 direct pointers, then single, double and triple indirect blocks. */
export function blockMapMapping(
  extents: readonly Extent[],
  mapBlocks: readonly number[],
  blockSize: number,
): MappingOut {
  const { iblock, blocks } = buildBlockMap(extents, blockSize / 4, mapBlocks);
  const out: MappingOut = {
    iblock: u32le(iblock),
    blocks: blocks.map((b) => ({ block: b.block, data: u32le(b.ptrs) })),
  };
  return out;
}

/** A Uint32Array's values as little-endian bytes. */
export function u32le(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) dv.setUint32(i * 4, words[i] as number, true);
  return out;
}
