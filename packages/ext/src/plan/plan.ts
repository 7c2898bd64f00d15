/**
 * The build plan: every inode, directory block, mapping block, xattr block, the journal and each
 * file's data runs, decided from the tree's metadata alone. No I/O and no bytes; the writer turns
 * the plan into blocks. Files are laid out contiguously in tree order; holes get no blocks.
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { encodeName, NoSpaceError, UnsupportedError } from '@fstool/fs';
import { EXT_INIT_MAX_LEN } from '../format/extent.js';
import { effectiveHashVersion } from '../format/htree.js';
import { fitsTime32, fitsTimeExtra, GOOD_OLD_INODE_SIZE, INO, TIME_MAX, TIME_MIN } from '../format/inode.js';
import { type FeatureSet, HASH, hasFeature } from '../format/superblock.js';
import { type Extent, extentTreeShape, indirectBlockCount, zipExtents } from './blockmap.js';
import { type DirLayout, layoutDirectory } from './dir-layout.js';
import { type Geometry, hasSuperblock } from './geometry.js';
import { BlockAllocator, type GroupTables, placeGroupTables, type Run } from './layout.js';
import type { TreeSummary } from './summary.js';
import { INLINE_DATA_XATTR, SharedXattrBlocks, splitXattrs, type XattrBlockPlan, type XattrItem } from './xattrs.js';

/** The item types also describe what the editor writes. */
export type { XattrBlockPlan, XattrItem };

/** Largest link count of a file; directories beyond it use dir_nlink's count of 1. */
export const LINK_MAX = 65000;
/** Fast symlinks keep targets shorter than i_block (60 bytes) inside the inode. */
export const FAST_SYMLINK_MAX = 59;
/** With inline_data, files up to i_block's 60 bytes keep their contents in the inode. */
export const INLINE_FILE_MAX = 60;

export type InodeKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'journal' | 'resize';

export interface PlannedInode {
  ino: number;
  kind: InodeKind;
  /** Tree node, or undefined for inodes the writer makes up (lost+found, journal, resize inode). */
  node?: number;
  links: number;
  size: number;
  /** Data blocks: file contents, directory blocks, a slow symlink's target, the journal. */
  extents: Extent[];
  /** Extent-tree blocks (leaves first per level) or indirect blocks, in the order the writer fills them. */
  mapBlocks: number[];
  /** Blocks counted in i_blocks (data, mapping, xattr block). */
  blockCount: number;
  /** Directories: the packing of their entries. */
  dir?: DirLayout;
  xattrsInInode?: XattrItem[];
  xattrBlock?: XattrBlockPlan;
  /** A small file whose contents live in i_block (inline_data): no blocks. */
  inline?: true;
}

export interface BuildPlan {
  geo: Geometry;
  tables: GroupTables;
  /** Data, directory, mapping and xattr blocks handed out (merged runs, ascending). */
  allocated: Run[];
  /** Inodes by number (index 0 unused; gaps are free inodes). */
  inodes: Array<PlannedInode | undefined>;
  /** Inode number of every tree node (hard links share their primary's). */
  inoOfNode: Uint32Array;
  summary: TreeSummary;
  uuid: Uint8Array;
  hashSeed: Uint8Array;
  /** Effective htree hash version used for every index (half-MD4, signed variant as on x86 mke2fs). */
  hashVersion: number;
  createdAt: number;
  lostFoundIno: number;
  warnings: string[];
  /** Blocks in use (metadata + allocated). */
  usedBlocks: number;
}

export interface PlanInput {
  summary: TreeSummary;
  geo: Geometry;
  uuid: Uint8Array;
  hashSeed: Uint8Array;
  createdAt: number;
  onWarning?: (message: string) => void;
  /** Directory layouts from an earlier plan with the same block size and features (minimumSize retries). */
  dirCache?: Map<number, DirLayout>;
}

/** Blocks lost+found gets: 16 KiB and at least two blocks, within the 12 direct blocks (as mke2fs). */
export function lostFoundBlocks(blockSize: number): number {
  return Math.min(12, Math.max(2, Math.ceil(16384 / blockSize)));
}

/** Splits a file of `size` bytes with these holes into logical block runs that hold data. */
export function dataRuns(
  size: number,
  blockSize: number,
  holes: ReadonlyArray<readonly [number, number]> | undefined,
): Run[] {
  const total = Math.ceil(size / blockSize);
  if (!holes?.length) return total ? [{ start: 0, len: total }] : [];
  const runs: Run[] = [];
  let at = 0;
  for (const [off, len] of holes) {
    // Only blocks wholly inside a hole stay unallocated.
    const hs = Math.ceil(off / blockSize);
    const he = Math.min(Math.floor((off + len) / blockSize), total);
    if (he <= hs) continue;
    if (hs > at) runs.push({ start: at, len: hs - at });
    at = Math.max(at, he);
  }
  if (at < total) runs.push({ start: at, len: total - at });
  return runs;
}

/** Makes the plan. Throws NoSpaceError (before anything is written) when the tree does not fit. */
export function makePlan(input: PlanInput): BuildPlan {
  const { summary, geo } = input;
  const f: FeatureSet = geo.features;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    input.onWarning?.(m);
  };
  const bs = geo.blockSize;
  const extents = hasFeature(f, 'extent');
  const csum = hasFeature(f, 'metadata_csum');
  const tables = placeGroupTables(geo);
  const alloc = new BlockAllocator(geo, tables.used);
  const nodes = summary.nodes;
  const inoOfNode = new Uint32Array(nodes.length);

  // Inode numbers: root 2, lost+found 11, then everything else in tree order.
  const lostFoundIno = INO.first;
  let nextIno = INO.first + 1;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.linkOf !== undefined) continue;
    if (i === 0) inoOfNode[i] = INO.root;
    else if (i === summary.lostFound) inoOfNode[i] = lostFoundIno;
    else inoOfNode[i] = nextIno++;
  }
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.linkOf !== undefined) inoOfNode[i] = inoOfNode[n.linkOf] as number;
  }
  const inodesNeeded = nextIno - 1;
  // Filled up front so the array stays packed (inodes are assigned out of order below).
  const inodes: Array<PlannedInode | undefined> = new Array(nextIno).fill(undefined);
  if (inodesNeeded > geo.inodesCount) {
    throw new NoSpaceError(`the tree needs ${inodesNeeded} inodes, the filesystem has ${geo.inodesCount}`);
  }

  /** Hands out blocks for a list of logical runs and returns extents + mapping blocks. */
  const place = (logical: Run[], what: string): { extents: Extent[]; mapBlocks: number[] } => {
    // Fast path (most files): one run from block 0 that needs no mapping blocks.
    // (Block maps need no indirect block for 12 blocks, so taking the data first is still in order.)
    const only = logical.length === 1 ? (logical[0] as Run) : undefined;
    let physical: Run[] | undefined;
    if (only && only.start === 0 && only.len <= (extents ? EXT_INIT_MAX_LEN : 12)) {
      physical = alloc.take(only.len);
      if (physical.length === 1) {
        return { extents: [{ logical: 0, start: (physical[0] as Run).start, len: only.len }], mapBlocks: [] };
      }
    }
    const total = logical.reduce((s, r) => s + r.len, 0);
    if (!extents) {
      const nmap = indirectBlockCount(logical, bs / 4);
      if (
        logical.length &&
        (logical[logical.length - 1] as Run).start + (logical[logical.length - 1] as Run).len >
          12 + bs / 4 + (bs / 4) ** 2 + (bs / 4) ** 3
      ) {
        throw new UnsupportedError(`${what} is too large for a block-mapped (ext2/ext3) file`);
      }
      const mapBlocks = alloc.take(nmap).flatMap((r) => Array.from({ length: r.len }, (_, k) => r.start + k));
      return { extents: zipExtents(logical, physical ?? alloc.take(total), Number.MAX_SAFE_INTEGER), mapBlocks };
    }
    const ext = zipExtents(logical, physical ?? alloc.take(total), EXT_INIT_MAX_LEN);
    const shape = extentTreeShape(ext.length, bs);
    const nmap = shape.reduce((s, x) => s + x, 0);
    if (shape.length > 4) throw new UnsupportedError(`${what} needs an extent tree deeper than 5 levels`);
    const mapBlocks = alloc.take(nmap).flatMap((r) => Array.from({ length: r.len }, (_, k) => r.start + k));
    return { extents: ext, mapBlocks };
  };
  const blocksOf = (p: { extents: Extent[]; mapBlocks: number[] }) =>
    p.extents.reduce((s, x) => s + x.len, 0) + p.mapBlocks.length;

  // The journal first: right after group 0's tables, contiguous.
  if (geo.journalBlocks) {
    const p = place([{ start: 0, len: geo.journalBlocks }], 'the journal');
    inodes[INO.journal] = {
      ino: INO.journal,
      kind: 'journal',
      links: 1,
      size: geo.journalBlocks * bs,
      ...p,
      blockCount: blocksOf(p),
    };
  }
  // With nothing to reserve (tiny filesystems) the resize inode still exists, with an empty
  // double-indirect block, as mke2fs makes it: e2fsck wants one whenever the feature is on.
  if (hasFeature(f, 'resize_inode')) {
    const dind = alloc.one();
    const backups = countBackups(geo);
    const apb = bs / 4;
    inodes[INO.resize] = {
      ino: INO.resize,
      kind: 'resize',
      links: 1,
      size: (apb * apb + apb + 12) * bs,
      extents: [],
      mapBlocks: [dind],
      blockCount: 1 + geo.reservedGdtBlocks * (1 + backups),
    };
  }

  const dirParams = {
    blockSize: bs,
    csum,
    dirIndex: hasFeature(f, 'dir_index'),
    largeDir: hasFeature(f, 'large_dir'),
    hashVersion: effectiveHashVersion(HASH.half_md4, false),
    hashSeed: input.hashSeed,
  };
  const inlineData = hasFeature(f, 'inline_data');
  const xattrsOf = (path: string, x: Map<string, Uint8Array> | undefined, w: (m: string) => void, inline: boolean) => {
    if (x?.size && !hasFeature(f, 'ext_attr')) {
      w(`${path}: xattrs dropped (ext_attr is off)`);
      return { inInode: [], block: [] };
    }
    return splitXattrs(path, x, geo.inodeSize, bs, w, inline ? [INLINE_DATA_XATTR] : []);
  };
  const sharedBlocks = new SharedXattrBlocks(() => alloc.one());
  const checkTimes = (path: string, e: TreeSummary['nodes'][number]['entry']) => {
    const times = [e.mtime, e.atime ?? e.mtime, e.ctime ?? e.mtime, e.crtime ?? 0];
    const fits = geo.inodeSize > GOOD_OLD_INODE_SIZE ? fitsTimeExtra : fitsTime32;
    if (times.some((t) => !fits(t))) {
      const range =
        geo.inodeSize > GOOD_OLD_INODE_SIZE
          ? `${TIME_MIN}..${TIME_MAX}`
          : `${TIME_MIN}..${2 ** 31 - 1} (128-byte inodes)`;
      warn(`${path}: a timestamp is outside ${range}; clamped`);
    }
  };

  const linkDirs = hasFeature(f, 'dir_nlink');
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.linkOf !== undefined) continue;
    const e = n.entry;
    const ino = inoOfNode[i] as number;
    checkTimes(e.path, e);
    if (e.uid > 0xffffffff || e.gid > 0xffffffff || e.uid < 0 || e.gid < 0) {
      throw new InvalidArgumentError(`${e.path}: uid/gid ${e.uid}/${e.gid} does not fit in 32 bits`);
    }
    const base: PlannedInode = {
      ino,
      kind: e.kind,
      node: i,
      links: n.links,
      size: 0,
      extents: [],
      mapBlocks: [],
      blockCount: 0,
    };
    if (e.kind === 'dir') {
      const names = (n.children ?? []).map((c) => nodes[c]!.name);
      if (i === 0 && summary.lostFound === undefined) names.push(LOST_FOUND);
      const layout = input.dirCache?.get(i) ?? layoutDirectory(names, dirParams);
      input.dirCache?.set(i, layout);
      if (i === summary.lostFound && !layout.hashes && layout.blocks < lostFoundBlocks(bs)) {
        // Keep lost+found as big as mke2fs makes it, so e2fsck can reconnect files without growing it.
        const pad = lostFoundBlocks(bs) - layout.blocks;
        const grown = {
          ...layout,
          leafStart: [...layout.leafStart, ...Array(pad).fill(layout.order.length)],
          blocks: layout.blocks + pad,
        };
        Object.assign(layout, grown);
      }
      const p = place([{ start: 0, len: layout.blocks }], e.path);
      const subdirs = n.subdirs + (i === 0 && summary.lostFound === undefined ? 1 : 0);
      let links = 2 + subdirs;
      if (links > LINK_MAX) {
        if (!linkDirs) throw new UnsupportedError(`${e.path}: ${subdirs} subdirectories need the dir_nlink feature`);
        links = 1;
      }
      Object.assign(base, { links, size: layout.blocks * bs, dir: layout, ...p, blockCount: blocksOf(p) });
    } else if (e.kind === 'file') {
      if (n.links > LINK_MAX) throw new UnsupportedError(`${e.path}: ${n.links} hard links exceed ${LINK_MAX}`);
      if (e.size >= 2 ** 31 && !hasFeature(f, 'large_file')) {
        throw new UnsupportedError(`${e.path}: ${e.size} bytes needs the large_file feature`);
      }
      if (inlineData && e.size > 0 && e.size <= INLINE_FILE_MAX) base.inline = true;
      const p = base.inline ? { extents: [], mapBlocks: [] } : place(dataRuns(e.size, bs, n.holes), e.path);
      const blockCount = blocksOf(p);
      // i_blocks counts 512-byte sectors in 32 bits; its high half is only honoured with huge_file.
      if ((blockCount * bs) / 512 >= 2 ** 32 && !hasFeature(f, 'huge_file')) {
        throw new UnsupportedError(`${e.path}: ${blockCount} blocks need the huge_file feature`);
      }
      // Plain stores (the hottest branch): no temporary object to spread.
      base.size = e.size;
      base.extents = p.extents;
      base.mapBlocks = p.mapBlocks;
      base.blockCount = blockCount;
    } else if (e.kind === 'symlink') {
      const target = encodeName(e.target ?? '');
      if (target.length === 0) throw new InvalidArgumentError(`${e.path}: empty symlink target`);
      if (target.length >= bs)
        throw new UnsupportedError(`${e.path}: symlink target of ${target.length} bytes does not fit one block`);
      base.size = target.length;
      if (target.length > FAST_SYMLINK_MAX) {
        const p = place([{ start: 0, len: 1 }], e.path);
        Object.assign(base, p, { blockCount: blocksOf(p) });
      }
    } else if (e.kind === 'char' || e.kind === 'block') {
      const r = e.rdev ?? { major: 0, minor: 0 };
      if (r.major > 0xfff || r.minor > 0xfffff) {
        throw new UnsupportedError(
          `${e.path}: device ${r.major}:${r.minor} does not fit ext's 12-bit major / 20-bit minor`,
        );
      }
    }
    const xattrs = xattrsOf(e.path, e.xattrs, warn, base.inline === true);
    if (xattrs.inInode.length) base.xattrsInInode = xattrs.inInode;
    if (xattrs.block.length) {
      base.xattrBlock = sharedBlocks.place(xattrs.block);
      base.blockCount += 1;
    }
    inodes[ino] = base;
  }
  if (summary.lostFound === undefined) {
    const nb = lostFoundBlocks(bs);
    const p = place([{ start: 0, len: nb }], '/lost+found');
    inodes[lostFoundIno] = {
      ino: lostFoundIno,
      kind: 'dir',
      links: 2,
      size: nb * bs,
      ...p,
      blockCount: blocksOf(p),
      dir: { order: new Uint32Array(0), leafStart: Array.from({ length: nb }, () => 0), blocks: nb },
    };
  }

  let metadata = 0;
  for (const r of tables.used) metadata += r.len;
  const usedBlocks = metadata + alloc.count + geo.firstDataBlock;
  if (alloc.end > geo.blocksCount) {
    throw new NoSpaceError(
      `the tree needs ${alloc.end - geo.blocksCount} more blocks of ${bs} bytes: at least ${alloc.end * bs} bytes, the device has ${geo.blocksCount * bs}`,
    );
  }
  return {
    geo,
    tables,
    allocated: alloc.allocated,
    inodes,
    inoOfNode,
    summary,
    uuid: input.uuid,
    hashSeed: input.hashSeed,
    hashVersion: dirParams.hashVersion,
    createdAt: input.createdAt,
    lostFoundIno,
    warnings,
    usedBlocks,
  };
}

const LOST_FOUND = encodeName('lost+found');

/** Groups after 0 holding superblock backups (the resize inode reserves descriptor blocks in each). */
export function countBackups(geo: Geometry): number {
  let n = 0;
  for (let g = 1; g < geo.groups; g++) if (hasSuperblock(geo, g)) n++;
  return n;
}
