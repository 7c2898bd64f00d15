/**
 * Filesystem geometry from a size and options, following mke2fs/ext2fs_initialize: block size and
 * inode ratio by size class, groups, inodes per group filling whole inode-table blocks, reserved
 * GDT blocks for online resize, flex_bg packing, sparse_super backups and the journal size.
 * Pure arithmetic; checkable against the kernel's ext4 disk-layout documentation.
 */
import { formatSize, InvalidArgumentError } from '@fstool/blockdev';
import { NoSpaceError } from '@fstool/fs';
import { GROUP_DESC_SIZE, GROUP_DESC_SIZE_64BIT } from '../format/group-desc.js';
import { COMPAT, type FeatureSet, hasFeature } from '../format/superblock.js';
import type { ExtOptions } from './options.js';

export interface Geometry {
  blockSize: number;
  blocksCount: number;
  /** 1 with 1 KiB blocks (block 0 holds the boot sector and the superblock's start), else 0. */
  firstDataBlock: number;
  blocksPerGroup: number;
  groups: number;
  inodeSize: number;
  inodesPerGroup: number;
  inodeBlocksPerGroup: number;
  inodesCount: number;
  descSize: number;
  /** Blocks of the group descriptor table. */
  descBlocks: number;
  reservedGdtBlocks: number;
  /** Groups per flex group (1 without flex_bg). */
  flexSize: number;
  reservedBlocks: number;
  /** Journal length in blocks (0 without has_journal). */
  journalBlocks: number;
  features: FeatureSet;
  /** Blocks that were cut off because the last group was too small for its metadata (mke2fs does the same). */
  trimmed: number;
}

const MiB = 2 ** 20;
const TiB = 2 ** 40;
export const MIN_JOURNAL_BLOCKS = 1024;
/** mke2fs refuses larger journals. */
const MAX_JOURNAL_BLOCKS = 10_240_000;
/**
 * Inodes the default count keeps free beyond what the tree needs (when mke2fs' ratio gives too
 * few), so e2fsck can reconnect files to lost+found and the next `add` has an inode.
 */
export const SPARE_INODES = 16;
const LOG_GROUPS_PER_FLEX = 4;

/** mke2fs' size classes: floppy (< 3 MiB), small (< 512 MiB), default, big (>= 4 TiB), huge (>= 16 TiB). */
export function defaultBlockSize(bytes: number): number {
  return bytes < 512 * MiB ? 1024 : 4096;
}

export function defaultInodeRatio(bytes: number): number {
  if (bytes < 3 * MiB) return 8192;
  if (bytes < 512 * MiB) return 4096;
  if (bytes < 4 * TiB) return 16384;
  if (bytes < 16 * TiB) return 32768;
  return 65536;
}

/** ext2fs_default_journal_size: by filesystem blocks; undefined when the filesystem is too small for one. */
export function defaultJournalBlocks(blocks: number): number | undefined {
  if (blocks < 2048) return undefined;
  if (blocks < 32768) return 1024;
  if (blocks < 256 * 1024) return 4096;
  if (blocks < 512 * 1024) return 8192;
  if (blocks < 4096 * 1024) return 16384;
  if (blocks < 8192 * 1024) return 32768;
  if (blocks < 16384 * 1024) return 65536;
  if (blocks < 32768 * 1024) return 131072;
  return 262144;
}

/** Groups 0 and 1 and the powers of 3, 5 and 7 hold superblock backups with sparse_super; all groups without. */
export function hasSuperblock(geo: Pick<Geometry, 'features'>, group: number): boolean {
  if (group <= 1 || !hasFeature(geo.features, 'sparse_super')) return true;
  if (group % 2 === 0) return false;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < group) p *= base;
    if (p === group) return true;
  }
  return false;
}

export function groupFirstBlock(geo: Geometry, group: number): number {
  return geo.firstDataBlock + group * geo.blocksPerGroup;
}

export function groupBlockCount(geo: Geometry, group: number): number {
  return Math.min(geo.blocksPerGroup, geo.blocksCount - groupFirstBlock(geo, group));
}

/** Blocks at the start of a group taken by the superblock, descriptors and reserved descriptors. */
export function superblockAreaBlocks(geo: Geometry, group: number): number {
  return hasSuperblock(geo, group) ? 1 + geo.descBlocks + geo.reservedGdtBlocks : 0;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

export interface GeometryInput {
  /** Device size in bytes. */
  size: number;
  opts: ExtOptions;
  features: FeatureSet;
  /** Inodes the tree needs (including the reserved ones); the default count is raised to it. */
  inodesNeeded: number;
  onWarning?: (message: string) => void;
}

/** The geometry mke2fs would choose for this size and these options. */
export function computeGeometry(input: GeometryInput): Geometry {
  const { size, opts } = input;
  const features = { ...input.features };
  const blockSize = opts.blockSize ?? defaultBlockSize(size);
  if (![1024, 2048, 4096].includes(blockSize)) {
    throw new InvalidArgumentError(`block size must be 1024, 2048 or 4096, got ${blockSize}`);
  }
  const inodeSize = opts.inodeSize ?? 256;
  if (inodeSize !== 128 && inodeSize !== 256)
    throw new InvalidArgumentError(`inode size must be 128 or 256, got ${inodeSize}`);
  const is64 = hasFeature(features, '64bit');
  const descSize = is64 ? GROUP_DESC_SIZE_64BIT : GROUP_DESC_SIZE;
  const firstDataBlock = blockSize === 1024 ? 1 : 0;
  const blocksPerGroup = blockSize * 8;
  let blocksCount = Math.floor(size / blockSize);
  if (!is64 && blocksCount > 2 ** 32 - 1) {
    throw new InvalidArgumentError(`${size} bytes needs the 64bit feature at ${blockSize}-byte blocks`);
  }
  if (blocksCount < 64)
    throw new NoSpaceError(`an ext filesystem needs at least 64 blocks; ${size} bytes gives ${blocksCount}`);
  const ratio = Math.max(opts.inodeRatio ?? defaultInodeRatio(size), blockSize);
  const inodesPerBlock = blockSize / inodeSize;
  const descPerBlock = blockSize / descSize;
  const flexSize = hasFeature(features, 'flex_bg') ? 2 ** LOG_GROUPS_PER_FLEX : 1;
  const percent = opts.reservedPercent ?? 5;
  if (!(percent >= 0 && percent <= 50))
    throw new InvalidArgumentError(`reserved percentage must be 0..50, got ${percent}`);

  let trimmed = 0;
  for (;;) {
    const groups = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
    const descBlocks = Math.ceil(groups / descPerBlock);
    let inodes = opts.inodes ?? Math.floor((blocksCount * blockSize) / ratio);
    if (opts.inodes === undefined && opts.inodeRatio === undefined)
      inodes = Math.max(inodes, input.inodesNeeded + SPARE_INODES);
    let ipg = roundUp(Math.max(Math.ceil(inodes / groups), 16), Math.max(inodesPerBlock, 8));
    ipg = Math.min(ipg, blockSize * 8);
    const inodeBlocksPerGroup = (ipg * inodeSize) / blockSize;
    let reservedGdtBlocks = 0;
    if (hasFeature(features, 'resize_inode') && blocksCount > 0xffffffff) {
      // The resize inode maps its blocks with 32-bit pointers: mke2fs drops it on bigger filesystems.
      features.compat &= ~COMPAT.resize_inode;
      input.onWarning?.(`resize_inode turned off: ${blocksCount} blocks do not fit 32-bit block pointers`);
    }
    if (hasFeature(features, 'resize_inode')) {
      // Room to grow to 1024 times the size or to 2^32 blocks, at most one indirect block's worth.
      const maxBlocks = blocksCount < 0xffffffff / 1024 ? blocksCount * 1024 : 0xffffffff;
      const rsvGroups = Math.ceil((maxBlocks - firstDataBlock) / blocksPerGroup);
      reservedGdtBlocks = Math.min(Math.ceil(rsvGroups / descPerBlock) - descBlocks, blockSize / 4);
      if (reservedGdtBlocks < 0) reservedGdtBlocks = 0;
    }
    const geo: Geometry = {
      blockSize,
      blocksCount,
      firstDataBlock,
      blocksPerGroup,
      groups,
      inodeSize,
      inodesPerGroup: ipg,
      inodeBlocksPerGroup,
      inodesCount: ipg * groups,
      descSize,
      descBlocks,
      reservedGdtBlocks,
      flexSize,
      reservedBlocks: Math.floor((percent * blocksCount) / 100),
      journalBlocks: 0,
      features,
      trimmed,
    };
    // A last group too small for its own metadata (+50 blocks) is dropped, as mke2fs does.
    const rem = (blocksCount - firstDataBlock) % blocksPerGroup;
    const overhead = 2 + inodeBlocksPerGroup + superblockAreaBlocks(geo, groups - 1);
    if (rem !== 0 && rem < overhead + 50) {
      if (groups === 1) throw new NoSpaceError(`${size} bytes is too small for an ext filesystem with these options`);
      blocksCount -= rem;
      trimmed = overhead + 50 - rem;
      continue;
    }
    if (geo.inodesCount > 2 ** 32 - 1) throw new InvalidArgumentError(`too many inodes (${geo.inodesCount})`);
    if (hasFeature(features, 'has_journal')) {
      let jb =
        opts.journalBlocks ?? (opts.journalSize !== undefined ? Math.ceil(opts.journalSize / blockSize) : undefined);
      if (jb === undefined) {
        jb = defaultJournalBlocks(blocksCount);
        if (jb === undefined) {
          input.onWarning?.(`filesystem too small for a journal (${blocksCount} blocks): has_journal turned off`);
          geo.features.compat &= ~COMPAT.has_journal;
          jb = 0;
        }
      } else if (jb < MIN_JOURNAL_BLOCKS || jb > MAX_JOURNAL_BLOCKS) {
        const asked =
          opts.journalBlocks === undefined
            ? `journal size ${formatSize(opts.journalSize as number)} is ${jb} block${jb === 1 ? '' : 's'} of ${blockSize} bytes`
            : `journal of ${jb} blocks`;
        throw new InvalidArgumentError(
          `${asked}: a journal takes ${MIN_JOURNAL_BLOCKS} to ${MAX_JOURNAL_BLOCKS} blocks ` +
            `(${formatSize(MIN_JOURNAL_BLOCKS * blockSize)} to ${formatSize(MAX_JOURNAL_BLOCKS * blockSize)} here)`,
        );
      }
      geo.journalBlocks = jb;
    } else if (opts.journalBlocks !== undefined || opts.journalSize !== undefined) {
      throw new InvalidArgumentError(
        'a journal size was given, but this filesystem has no journal (ext2, or has_journal off)',
      );
    }
    return geo;
  }
}
