/**
 * Emits a build plan to a device: inode tables, directories, mapping and xattr blocks, the
 * journal, bitmaps, descriptors and superblocks through a sorting sink (large sequential
 * writes), then every file's contents streamed in big chunks.
 */
import { type BlockDevice, InvalidArgumentError } from '@fstool/blockdev';
import type { ContentSource, Progress } from '@fstool/fs';
import { bitmapChecksum, fsChecksumSeed } from '../checksum.js';
import { INO } from '../format/inode.js';
import { hasFeature } from '../format/superblock.js';
import type { Extent } from '../plan/blockmap.js';
import { groupFirstBlock, hasSuperblock } from '../plan/geometry.js';
import { type BuildPlan, dataRuns, type PlannedInode } from '../plan/plan.js';
import { InodeContents } from './content.js';
import { DataStager, readExactly } from './data.js';
import { encodeInode } from './inode.js';
import { BlockSink } from './sink.js';
import {
  blockBitmaps,
  type GroupCounts,
  groupDescriptorTable,
  inodeBitmap,
  superblockBytes,
  usedRuns,
} from './tables.js';

export interface WriteOptions {
  zeroed: boolean;
  label: Uint8Array;
  onProgress?: (p: Progress) => void;
}

export interface WriteResult {
  freeBlocks: number;
  freeInodes: number;
  dataBytes: number;
  metadataBytes: number;
}

export async function writeImage(dev: BlockDevice, plan: BuildPlan, opts: WriteOptions): Promise<WriteResult> {
  const geo = plan.geo;
  const bs = geo.blockSize;
  const f = geo.features;
  const csum = hasFeature(f, 'metadata_csum');
  const fsSeed = csum ? fsChecksumSeed(plan.uuid) : undefined;
  const sink = new BlockSink(dev, bs);
  const zeros = new Uint8Array(Math.min(geo.inodeBlocksPerGroup * bs, 8 * 2 ** 20));
  const putZeros = (block: number, count: number) => {
    if (opts.zeroed) return;
    const per = zeros.length / bs;
    for (let b = 0; b < count; b += per) sink.put(block + b, zeros.subarray(0, Math.min(per, count - b) * bs));
  };
  const contents = new InodeContents(plan, fsSeed, await readInlineFiles(plan));

  // Inode tables, group by group; the journal goes first so s_jnl_blocks is known for the superblock.
  const counts: GroupCounts = { freeBlocks: [], freeInodes: [], usedDirs: [], itableUnused: [] };
  const inodeCsums: number[] = [];
  const ipg = geo.inodesPerGroup;
  for (let g = 0; g < geo.groups; g++) {
    const ib = inodeBitmap(plan, g);
    counts.freeInodes[g] = ipg - ib.used;
    counts.usedDirs[g] = ib.dirs;
    counts.itableUnused[g] = ipg - (ib.lastUsed + 1);
    if (fsSeed !== undefined) inodeCsums[g] = bitmapChecksum(fsSeed, ib.bitmap, ipg);
    sink.put(plan.tables.inodeBitmap[g] as number, ib.bitmap);
    const tableBlock = plan.tables.inodeTable[g] as number;
    // Only the blocks holding used inodes are built; the rest of the table is zeros.
    const usedBlocks = Math.ceil(((ib.lastUsed + 1) * geo.inodeSize) / bs);
    putZeros(tableBlock + usedBlocks, geo.inodeBlocksPerGroup - usedBlocks);
    if (usedBlocks > 0) sink.put(tableBlock, inodeTable(plan, g, ib.lastUsed, usedBlocks, contents, sink, putZeros));
    if (sink.full) await sink.flush();
    opts.onProgress?.({ phase: 'metadata', done: g + 1, total: geo.groups });
  }

  // Block bitmaps from every used run.
  const blockCsums: number[] = [];
  let freeBlocks = 0;
  for (const { group, bitmap, used } of blockBitmaps(geo, usedRuns(plan))) {
    const count = Math.min(geo.blocksPerGroup, geo.blocksCount - groupFirstBlock(geo, group));
    counts.freeBlocks[group] = count - used;
    freeBlocks += count - used;
    if (fsSeed !== undefined) blockCsums[group] = bitmapChecksum(fsSeed, bitmap, geo.blocksPerGroup);
    sink.put(plan.tables.blockBitmap[group] as number, bitmap);
    if (sink.full) await sink.flush();
  }
  const freeInodes = counts.freeInodes.reduce((s, x) => s + x, 0);
  const gdt = groupDescriptorTable(plan, counts, { block: blockCsums, inode: inodeCsums }, fsSeed);
  const sbParams = { plan, freeBlocks, freeInodes, label: opts.label, jnlBlocks: contents.jnlBlocks };
  for (let g = 0; g < geo.groups; g++) {
    if (!hasSuperblock(geo, g)) continue;
    const first = groupFirstBlock(geo, g);
    const sb = superblockBytes(sbParams, g);
    if (g === 0) {
      // Like mke2fs, clear the boot area in front of the superblock so no older signature lingers,
      // keeping a first sector that ends in the boot signature 55 AA (a boot loader or partition table).
      if (!opts.zeroed) {
        const keep = (await hasBootSector(dev)) ? 512 : 0;
        sink.putAt(keep, new Uint8Array(1024 - keep));
      }
      sink.putAt(1024, sb);
    } else {
      const block = new Uint8Array(bs);
      block.set(sb);
      sink.put(first, block);
    }
    sink.put(first + 1, gdt);
    if (g > 0 || !plan.inodes[INO.resize]) putZeros(first + 1 + geo.descBlocks, geo.reservedGdtBlocks);
    if (sink.full) await sink.flush();
  }
  await sink.flush();
  const metadataBytes = sink.written;

  const dataBytes = await writeData(dev, plan, opts);
  await dev.flush();
  return { freeBlocks, freeInodes, dataBytes, metadataBytes };
}

/** Every file's contents, in allocation order; returns the bytes written. */
async function writeData(dev: BlockDevice, plan: BuildPlan, opts: WriteOptions): Promise<number> {
  const nodes = plan.summary.nodes;
  const stager = new DataStager(dev, plan.geo.blockSize, opts.zeroed);
  let total = 0;
  for (const pi of plan.inodes) if (pi?.kind === 'file') total += pi.size;
  let done = 0;
  for (const pi of plan.inodes) {
    if (pi?.kind !== 'file' || pi.node === undefined || pi.extents.length === 0) continue;
    const node = nodes[pi.node]!;
    const entry = node.entry;
    const src = entry.open!();
    try {
      if (node.holes) await checkHoles(entry.path, src, pi, plan);
      await stager.copy(entry.path, src, pi.size, pi.extents);
    } finally {
      await src.close();
    }
    done += pi.size;
    opts.onProgress?.({ phase: 'data', done, total });
  }
  await stager.finish();
  return stager.written;
}

/** The contents of inline-data files (at most 60 bytes each), read before the inode tables are built. */
async function readInlineFiles(plan: BuildPlan): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  for (const pi of plan.inodes) {
    if (!pi?.inline || pi.node === undefined) continue;
    const entry = plan.summary.nodes[pi.node]!.entry;
    const data = new Uint8Array(pi.size);
    const src = entry.open!();
    try {
      await readExactly(entry.path, src, 0, data, pi.size);
    } finally {
      await src.close();
    }
    out.set(pi.ino, data);
  }
  return out;
}

/**
 * Refuses a file that now holds data where it had a hole when the tree was scanned: the plan gave
 * that range no blocks, so writing it would lose the data.
 */
async function checkHoles(path: string, src: ContentSource, pi: PlannedInode, plan: BuildPlan): Promise<void> {
  const holes = await src.holes?.({ zeros: plan.summary.zeroHoles });
  if (!holes) return;
  const bs = plan.geo.blockSize;
  let x = 0;
  for (const run of dataRuns(pi.size, bs, holes)) {
    for (let b = run.start; b < run.start + run.len; ) {
      while (x < pi.extents.length && (pi.extents[x] as Extent).logical + (pi.extents[x] as Extent).len <= b) x++;
      const ext = pi.extents[x];
      if (!ext || ext.logical > b) {
        throw new InvalidArgumentError(
          `${path}: has data at byte ${b * bs} where it had a hole when the tree was scanned (changed while building?); build again`,
        );
      }
      b = ext.logical + ext.len;
    }
  }
}

/**
 * Group `g`'s used inode-table blocks (slots 0..lastUsed), queueing each inode's own blocks
 * (directories, mapping and xattr blocks, …) on the sink. Kept apart from writeImage and
 * synchronous: the hot loop compiles on its own.
 */
function inodeTable(
  plan: BuildPlan,
  g: number,
  lastUsed: number,
  usedBlocks: number,
  contents: InodeContents,
  sink: BlockSink,
  putZeros: (block: number, count: number) => void,
): Uint8Array {
  const geo = plan.geo;
  const table = new Uint8Array(usedBlocks * geo.blockSize);
  for (let k = 0; k <= lastUsed; k++) {
    const pi = plan.inodes[g * geo.inodesPerGroup + k + 1];
    if (!pi) continue;
    const c = contents.of(pi);
    for (const b of c.blocks) sink.put(b.block, b.data);
    for (const z of c.zeros) putZeros(z.start, z.len);
    encodeInode(table, k * geo.inodeSize, geo.inodeSize, geo.blockSize, { pi, ...c });
  }
  return table;
}

async function hasBootSector(dev: BlockDevice): Promise<boolean> {
  const sector = new Uint8Array(512);
  await dev.read(0, sector);
  return sector[510] === 0x55 && sector[511] === 0xaa;
}
