/**
 * Emits a build plan to a device: inode tables, directories, mapping and xattr blocks, the
 * journal, bitmaps, descriptors and superblocks through a sorting sink (large sequential
 * writes), then every file's contents streamed in big chunks.
 */
import type { BlockDevice } from '@fstool/blockdev';
import { type Entry, type Progress, typeBits } from '@fstool/fs';
import { bitmapChecksum, fsChecksumSeed, inodeChecksumSeed } from '../checksum.js';
import { FT } from '../format/dirent.js';
import { INO, INODE_FLAGS } from '../format/inode.js';
import { hasFeature } from '../format/superblock.js';
import { type Geometry, groupFirstBlock, hasSuperblock } from '../plan/geometry.js';
import type { BuildPlan, PlannedInode } from '../plan/plan.js';
import { encodeUtf8 } from '../utf8.js';
import { DataStager } from './data.js';
import { type DirChild, directoryBlocks } from './dir.js';
import { deviceIblock, encodeInode, fastSymlinkIblock } from './inode.js';
import { journalSuperblockBlock } from './journal.js';
import { blockMapMapping, extentMapping, type MappingOut, u32le } from './mapping.js';
import { BlockSink } from './sink.js';
import {
  blockBitmaps,
  type GroupCounts,
  groupDescriptorTable,
  inodeBitmap,
  superblockBytes,
  usedRuns,
} from './tables.js';
import { xattrBlock } from './xattr.js';

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

const FILE_TYPE: Record<string, number> = {
  file: FT.file,
  dir: FT.dir,
  char: FT.char,
  block: FT.block,
  fifo: FT.fifo,
  socket: FT.socket,
  symlink: FT.symlink,
};

const LOST_FOUND = encodeUtf8('lost+found');

export async function writeImage(dev: BlockDevice, plan: BuildPlan, opts: WriteOptions): Promise<WriteResult> {
  const geo = plan.geo;
  const bs = geo.blockSize;
  const f = geo.features;
  const csum = hasFeature(f, 'metadata_csum');
  const fsSeed = csum ? fsChecksumSeed(plan.uuid) : undefined;
  const useExtents = hasFeature(f, 'extent');
  const sink = new BlockSink(dev, bs);
  const nodes = plan.summary.nodes;
  const zeros = new Uint8Array(Math.min(geo.inodeBlocksPerGroup * bs, 8 * 2 ** 20));
  const putZeros = async (block: number, count: number) => {
    if (opts.zeroed) return;
    const per = zeros.length / bs;
    for (let b = 0; b < count; b += per) await sink.put(block + b, zeros.subarray(0, Math.min(per, count - b) * bs));
  };
  const made = (mode: number): InodeEntry => ({ mode, uid: 0, gid: 0, mtime: plan.createdAt });
  let jnlBlocks = new Uint8Array(68);

  const mapping = (pi: PlannedInode, seed: number | undefined): MappingOut =>
    useExtents ? extentMapping(pi.extents, pi.mapBlocks, bs, seed) : blockMapMapping(pi.extents, pi.mapBlocks, bs);

  /** Builds one inode's content and queues its blocks; returns what the inode table needs. */
  const prepare = async (pi: PlannedInode) => {
    const seed = fsSeed !== undefined ? inodeChecksumSeed(fsSeed, pi.ino, 0) : undefined;
    const node = pi.node !== undefined ? nodes[pi.node] : undefined;
    const entry: InodeEntry = node ? node.entry : made(pi.kind === 'dir' ? 0o700 : 0o600);
    let flags = 0;
    let iblock: Uint8Array;
    let type = typeBits(pi.kind === 'journal' || pi.kind === 'resize' ? 'file' : pi.kind);
    if (pi.kind === 'resize') {
      const words = new Uint32Array(15);
      words[13] = pi.mapBlocks[0] as number;
      iblock = u32le(words);
      await writeResizeBlocks(sink, geo, pi.mapBlocks[0] as number);
    } else if (pi.kind === 'symlink' && pi.extents.length === 0) {
      iblock = fastSymlinkIblock(encodeUtf8(node?.entry.target ?? ''));
    } else if (pi.kind === 'char' || pi.kind === 'block') {
      iblock = deviceIblock(entry.rdev?.major ?? 0, entry.rdev?.minor ?? 0);
    } else if (pi.kind === 'fifo' || pi.kind === 'socket') {
      iblock = new Uint8Array(60);
    } else {
      const m = mapping(pi, seed);
      iblock = m.iblock;
      if (useExtents) flags |= INODE_FLAGS.extents;
      for (const b of m.blocks) await sink.put(b.block, b.data);
      if (pi.kind === 'dir') {
        if (pi.dir?.hashes) flags |= INODE_FLAGS.index;
        const self = pi.ino;
        const parentNode = node ? node.parent : 0;
        const parent = plan.inoOfNode[parentNode] as number;
        const children = node?.children ?? [];
        const child = (i: number): DirChild => {
          if (i >= children.length) return { ino: plan.lostFoundIno, fileType: FT.dir, name: LOST_FOUND };
          const c = nodes[children[i] as number]!;
          const kind = c.linkOf !== undefined ? nodes[c.linkOf]!.entry.kind : c.entry.kind;
          return { ino: plan.inoOfNode[children[i] as number] as number, fileType: FILE_TYPE[kind] ?? 0, name: c.name };
        };
        const blocks = directoryBlocks(pi.dir!, self, parent, child, {
          blockSize: bs,
          seed,
          filetype: hasFeature(f, 'filetype'),
        });
        await putLogical(sink, pi, blocks);
      } else if (pi.kind === 'symlink') {
        const block = new Uint8Array(bs);
        block.set(encodeUtf8(node?.entry.target ?? ''));
        await putLogical(sink, pi, [block]);
      } else if (pi.kind === 'journal') {
        type = typeBits('file');
        const first = (pi.extents[0] as { start: number }).start;
        await sink.put(
          first,
          journalSuperblockBlock({
            blockSize: bs,
            blocks: geo.journalBlocks,
            uuid: plan.uuid,
            csum,
            is64: hasFeature(f, '64bit'),
          }),
        );
        for (const x of pi.extents)
          await putZeros(x.start + (x.start === first ? 1 : 0), x.len - (x.start === first ? 1 : 0));
        jnlBlocks = new Uint8Array(68);
        jnlBlocks.set(iblock);
        const tail = u32le(Uint32Array.of(Math.floor(pi.size / 2 ** 32), pi.size % 2 ** 32));
        jnlBlocks.set(tail, 60);
      }
    }
    if (pi.xattrBlock && pi.xattrBlock.refcount > 0) {
      const xb = pi.xattrBlock;
      // Shared blocks are written once (by their first inode).
      if (!writtenXattr.has(xb.block)) {
        writtenXattr.add(xb.block);
        await sink.put(xb.block, xattrBlock(xb.items, xb.refcount, xb.block, bs, fsSeed));
      }
    }
    return { entry, flags, iblock, type, seed };
  };
  const writtenXattr = new Set<number>();

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
    await sink.put(plan.tables.inodeBitmap[g] as number, ib.bitmap);
    const tableBlock = plan.tables.inodeTable[g] as number;
    // Only the blocks holding used inodes are built; the rest of the table is zeros.
    const usedBlocks = Math.ceil(((ib.lastUsed + 1) * geo.inodeSize) / bs);
    await putZeros(tableBlock + usedBlocks, geo.inodeBlocksPerGroup - usedBlocks);
    opts.onProgress?.({ phase: 'metadata', done: g + 1, total: geo.groups });
    if (usedBlocks === 0) continue;
    const table = new Uint8Array(usedBlocks * bs);
    for (let k = 0; k <= ib.lastUsed; k++) {
      const pi = plan.inodes[g * ipg + k + 1];
      if (!pi) continue;
      const c = await prepare(pi);
      encodeInode(table, k * geo.inodeSize, geo.inodeSize, bs, {
        pi,
        entry: c.entry,
        typeBits: c.type,
        iblock: c.iblock,
        flags: c.flags,
        seed: c.seed,
      });
    }
    await sink.put(tableBlock, table);
  }

  // Block bitmaps from every used run.
  const blockCsums: number[] = [];
  let freeBlocks = 0;
  for (const { group, bitmap, used } of blockBitmaps(geo, usedRuns(plan))) {
    const count = Math.min(geo.blocksPerGroup, geo.blocksCount - groupFirstBlock(geo, group));
    counts.freeBlocks[group] = count - used;
    freeBlocks += count - used;
    if (fsSeed !== undefined) blockCsums[group] = bitmapChecksum(fsSeed, bitmap, geo.blocksPerGroup);
    await sink.put(plan.tables.blockBitmap[group] as number, bitmap);
  }
  const freeInodes = counts.freeInodes.reduce((s, x) => s + x, 0);
  const gdt = groupDescriptorTable(plan, counts, { block: blockCsums, inode: inodeCsums }, fsSeed);
  const sbParams = { plan, freeBlocks, freeInodes, label: opts.label, jnlBlocks };
  for (let g = 0; g < geo.groups; g++) {
    if (!hasSuperblock(geo, g)) continue;
    const first = groupFirstBlock(geo, g);
    const sb = superblockBytes(sbParams, g);
    if (g === 0) await sink.putAt(1024, sb);
    else {
      const block = new Uint8Array(bs);
      block.set(sb);
      await sink.put(first, block);
    }
    await sink.put(first + 1, gdt);
    if (g > 0 || !plan.inodes[INO.resize]) await putZeros(first + 1 + geo.descBlocks, geo.reservedGdtBlocks);
  }
  await sink.flush();
  const metadataBytes = sink.written;

  // File contents, in allocation order.
  const stager = new DataStager(dev, bs, opts.zeroed);
  let total = 0;
  for (const pi of plan.inodes) if (pi?.kind === 'file') total += pi.size;
  let done = 0;
  for (const pi of plan.inodes) {
    if (pi?.kind !== 'file' || pi.node === undefined || pi.extents.length === 0) continue;
    const entry = nodes[pi.node]!.entry;
    const src = entry.open!();
    try {
      await stager.copy(entry.path, src, pi.size, pi.extents);
    } finally {
      await src.close();
    }
    done += pi.size;
    opts.onProgress?.({ phase: 'data', done, total });
  }
  await stager.finish();
  await dev.flush();
  return { freeBlocks, freeInodes, dataBytes: stager.written, metadataBytes };
}

type InodeEntry = Pick<Entry, 'mode' | 'uid' | 'gid' | 'mtime'> & Partial<Entry>;

/** Queues a directory's or symlink's logical blocks at their physical places. */
async function putLogical(sink: BlockSink, pi: PlannedInode, blocks: Uint8Array[]): Promise<void> {
  for (const x of pi.extents) {
    for (let k = 0; k < x.len; k++) {
      const b = blocks[x.logical + k];
      if (b) await sink.put(x.start + k, b);
    }
  }
}

/**
 * The resize inode's double-indirect block (pointing at the primary reserved GDT blocks) and
 * those blocks themselves, each listing where its backups are in the groups with superblocks.
 */
async function writeResizeBlocks(sink: BlockSink, geo: Geometry, dind: number): Promise<void> {
  const apb = geo.blockSize / 4;
  const dindPtrs = new Uint32Array(apb);
  const backups: number[] = [];
  for (let g = 1; g < geo.groups; g++) if (hasSuperblock(geo, g)) backups.push(g);
  for (let r = 0; r < geo.reservedGdtBlocks; r++) {
    const primary = geo.firstDataBlock + 1 + geo.descBlocks + r;
    dindPtrs[(geo.descBlocks + r) % apb] = primary;
    const ptrs = new Uint32Array(apb);
    backups.forEach((g, i) => {
      ptrs[i] = primary + g * geo.blocksPerGroup;
    });
    await sink.put(primary, u32le(ptrs));
  }
  await sink.put(dind, u32le(dindPtrs));
}
