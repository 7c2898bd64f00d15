/**
 * An opened ext volume: the superblock, the group descriptor table, the geometry derived from
 * them, checked block I/O with a small metadata cache, and the checksum policy (error, or warning
 * when the caller asked to read anyway).
 */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import { UnsupportedError } from '@fstool/fs';
import { fsChecksumSeed, groupDescChecksumCrc16, groupDescChecksumCrc32c, superblockChecksum } from '../checksum.js';
import { type GroupDesc, groupDescCodec } from '../format/group-desc.js';
import {
  COMPAT,
  EXT4_SUPER_MAGIC,
  type FeatureSet,
  featureNames,
  INCOMPAT,
  RO_COMPAT,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  type Superblock,
  superblock,
} from '../format/superblock.js';

export interface OpenOptions {
  writable: boolean;
  /** Report checksum mismatches as warnings instead of failing. */
  ignoreChecksums?: boolean;
  /** Seconds since the epoch stamped on edits (parent mtimes, deletion times); default: the clock. */
  now?: number;
}

/** A metadata checksum that does not match what is stored. */
export class ChecksumError extends CorruptError {}

/** Incompatible features this driver reads. Anything else set in s_feature_incompat is refused. */
const READ_INCOMPAT =
  INCOMPAT.filetype |
  INCOMPAT.needs_recovery |
  INCOMPAT.meta_bg |
  INCOMPAT.extent |
  INCOMPAT['64bit'] |
  INCOMPAT.mmp |
  INCOMPAT.flex_bg |
  INCOMPAT.metadata_csum_seed |
  INCOMPAT.large_dir |
  INCOMPAT.inline_data;

/** Read-only-compatible features the editor keeps consistent; others make the volume read-only. */
const WRITE_RO_COMPAT =
  RO_COMPAT.sparse_super |
  RO_COMPAT.large_file |
  RO_COMPAT.huge_file |
  RO_COMPAT.uninit_bg |
  RO_COMPAT.dir_nlink |
  RO_COMPAT.extra_isize |
  RO_COMPAT.metadata_csum;

/** Metadata blocks kept (16 MiB of 4 KiB blocks: the inode tables a large edit touches stay in). */
const CACHE_BLOCKS = 4096;
const MAX_WARNINGS = 100;

export class Volume {
  readonly blockSize: number;
  readonly blocksCount: number;
  readonly firstDataBlock: number;
  readonly blocksPerGroup: number;
  /** Blocks per allocation cluster: 2^n with bigalloc, else 1 (descriptors and bitmaps count clusters). */
  readonly clusterBlocks: number;
  readonly inodesPerGroup: number;
  readonly inodesCount: number;
  readonly inodeSize: number;
  readonly groupCount: number;
  readonly descSize: number;
  readonly features: FeatureSet;
  readonly metadataCsum: boolean;
  readonly gdtCsum: boolean;
  readonly csumSeed: number;
  readonly warnings: string[] = [];
  /** Descriptor table of all groups, `descSize` bytes each, as on disk. */
  readonly gdt: Uint8Array;
  /** Block number holding each `blockSize` slice of `gdt`. */
  readonly gdtBlocks: number[];
  /** Decoded descriptors (the allocator reads the counts of every group per operation). */
  readonly #descs: Array<GroupDesc | undefined> = [];
  private readonly cache = new Map<number, Uint8Array>();
  private readonly descCodec: ReturnType<typeof groupDescCodec>;
  /** One reused copy for descriptor checksums: a fresh buffer per group costs a DataView each (131,072 at 16 TiB). */
  private readonly descScratch: Uint8Array;

  private constructor(
    readonly dev: BlockDevice,
    readonly sb: Superblock,
    readonly sbRaw: Uint8Array,
    readonly opts: OpenOptions,
    gdt: Uint8Array,
    gdtBlocks: number[],
  ) {
    this.blockSize = 1024 * 2 ** sb.s_log_block_size;
    this.blocksCount = sb.s_blocks_count;
    this.firstDataBlock = sb.s_first_data_block;
    this.blocksPerGroup = sb.s_blocks_per_group;
    this.clusterBlocks =
      (sb.s_feature_ro_compat & RO_COMPAT.bigalloc) !== 0 ? 2 ** (sb.s_log_cluster_size - sb.s_log_block_size) : 1;
    this.inodesPerGroup = sb.s_inodes_per_group;
    this.inodesCount = sb.s_inodes_count;
    this.inodeSize = sb.s_rev_level === 0 ? 128 : sb.s_inode_size;
    this.features = {
      compat: sb.s_feature_compat,
      incompat: sb.s_feature_incompat,
      roCompat: sb.s_feature_ro_compat,
    };
    this.groupCount = groupCountOf(sb);
    this.descSize = descSizeOf(sb);
    this.metadataCsum = this.hasRoCompat(RO_COMPAT.metadata_csum);
    this.gdtCsum = !this.metadataCsum && this.hasRoCompat(RO_COMPAT.uninit_bg);
    this.csumSeed = this.hasIncompat(INCOMPAT.metadata_csum_seed) ? sb.s_checksum_seed : fsChecksumSeed(sb.s_uuid);
    this.descCodec = groupDescCodec(this.descSize);
    this.descScratch = new Uint8Array(this.descSize);
    this.gdt = gdt;
    this.gdtBlocks = gdtBlocks;
  }

  /** Reads and checks the superblock and group descriptors. */
  static async open(dev: BlockDevice, opts: OpenOptions): Promise<Volume> {
    if (dev.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw new CorruptError(`not an ext filesystem: the device has only ${dev.size} bytes`);
    }
    const raw = new Uint8Array(SUPERBLOCK_SIZE);
    await dev.read(SUPERBLOCK_OFFSET, raw);
    const sb = superblock.decode(raw);
    if (sb.s_magic !== EXT4_SUPER_MAGIC) {
      throw new CorruptError(`not an ext filesystem: superblock magic 0x${sb.s_magic.toString(16)} at byte 1080`);
    }
    checkGeometry(sb, dev.size);
    const unsupported = sb.s_feature_incompat & ~READ_INCOMPAT;
    if (unsupported) {
      const names = featureNames({ compat: 0, incompat: unsupported >>> 0, roCompat: 0 });
      throw new UnsupportedError(`ext: unsupported incompatible feature(s): ${names.join(', ')}`);
    }
    const blockSize = 1024 * 2 ** sb.s_log_block_size;
    const descSize = descSizeOf(sb);
    const groups = groupCountOf(sb);
    const gdtBlocks = descriptorBlocks(sb, blockSize, descSize, groups);
    const gdt = new Uint8Array(gdtBlocks.length * blockSize);
    for (const [i, b] of gdtBlocks.entries()) {
      if (b >= sb.s_blocks_count) throw new CorruptError(`ext: group descriptor block ${b} is past the filesystem`);
      await dev.read(b * blockSize, gdt.subarray(i * blockSize, (i + 1) * blockSize));
    }
    const vol = new Volume(dev, sb, raw, opts, gdt.subarray(0, groups * descSize), gdtBlocks);
    if (vol.metadataCsum && superblockChecksum(raw) !== sb.s_checksum) {
      vol.checksumMismatch('superblock checksum does not match');
    }
    vol.checkDescriptors();
    if (vol.blocksCount * vol.blockSize > dev.size) {
      vol.warn(
        `the filesystem (${vol.blocksCount * vol.blockSize} bytes) is larger than the device (${dev.size} bytes)`,
      );
    }
    return vol;
  }

  hasCompat(bit: number): boolean {
    return (this.features.compat & bit) !== 0;
  }
  hasIncompat(bit: number): boolean {
    return (this.features.incompat & bit) !== 0;
  }
  hasRoCompat(bit: number): boolean {
    return (this.features.roCompat & bit) !== 0;
  }

  /** Why this volume cannot be edited, or undefined when it can. */
  readOnlyReason(): string | undefined {
    if (this.hasIncompat(INCOMPAT.needs_recovery)) {
      return 'the journal needs recovery (mount the filesystem once or run e2fsck)';
    }
    const ro = this.features.roCompat & ~WRITE_RO_COMPAT;
    if (ro)
      return `read-only-compatible feature(s) not supported for writing: ${featureNames({ compat: 0, incompat: 0, roCompat: ro >>> 0 }).join(', ')}`;
    const inc = this.features.incompat & INCOMPAT.mmp;
    if (inc)
      return `feature(s) not supported for writing: ${featureNames({ compat: 0, incompat: inc, roCompat: 0 }).join(', ')}`;
    if (this.blockSize >= 65536) return '64 KiB blocks are not supported for writing';
    return undefined;
  }

  /** Records a checksum mismatch: an error, or a warning when opened with `ignoreChecksums`. */
  checksumMismatch(what: string): void {
    if (!this.opts.ignoreChecksums) throw new ChecksumError(`ext: ${what}`);
    this.warn(`checksum: ${what}`);
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS && !this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Group descriptor `group`, decoded once and kept until `setDesc` changes it (callers must not mutate it). */
  desc(group: number): GroupDesc {
    let d = this.#descs[group];
    if (!d) {
      d = this.descCodec.decode(this.gdt, group * this.descSize);
      this.#descs[group] = d;
    }
    return d;
  }

  /** Free blocks and inodes summed over the group descriptors (which count clusters with bigalloc). */
  freeCounts(): { blocks: number; inodes: number } {
    let blocks = 0;
    let inodes = 0;
    for (let g = 0; g < this.groupCount; g++) {
      const d = this.desc(g);
      blocks += d.bg_free_blocks_count;
      inodes += d.bg_free_inodes_count;
    }
    return { blocks: blocks * this.clusterBlocks, inodes };
  }

  setDesc(group: number, value: Partial<GroupDesc>): void {
    this.descCodec.patch(value, this.gdt, group * this.descSize);
    // A new object (callers may hold the old one) with the fields written: cheaper than decoding again.
    const cached = this.#descs[group];
    this.#descs[group] = cached && { ...cached, ...value };
  }

  /** Checksum of descriptor `group` as stored on disk would need it (0 without gdt/metadata csum). */
  descChecksum(group: number): number {
    const off = group * this.descSize;
    const d = this.descScratch;
    d.set(this.gdt.subarray(off, off + this.descSize));
    if (this.metadataCsum) {
      this.descCodec.set(d, 0, 'bg_checksum', 0);
      return groupDescChecksumCrc32c(this.csumSeed, group, d);
    }
    if (this.gdtCsum) return groupDescChecksumCrc16(this.sb.s_uuid, group, d);
    return 0;
  }

  private checkDescriptors(): void {
    const itableBlocks = this.inodeTableBlocks();
    for (let g = 0; g < this.groupCount; g++) {
      const d = this.desc(g);
      if ((this.metadataCsum || this.gdtCsum) && this.descChecksum(g) !== d.bg_checksum) {
        this.checksumMismatch(`group descriptor ${g} checksum does not match`);
      }
      const check = (what: string, block: number, count: number) => {
        if (block < this.firstDataBlock || block + count > this.blocksCount) {
          throw new CorruptError(`ext: group ${g}: ${what} at block ${block} is outside the filesystem`);
        }
      };
      check('block bitmap', d.bg_block_bitmap, 1);
      check('inode bitmap', d.bg_inode_bitmap, 1);
      check('inode table', d.bg_inode_table, itableBlocks);
    }
  }

  inodeTableBlocks(): number {
    return Math.ceil((this.inodesPerGroup * this.inodeSize) / this.blockSize);
  }

  /** First block of a group. */
  groupStart(group: number): number {
    return this.firstDataBlock + group * this.blocksPerGroup;
  }

  /** Blocks in a group (the last one may be short). */
  groupBlocks(group: number): number {
    return Math.min(this.blocksPerGroup, this.blocksCount - this.groupStart(group));
  }

  /** True when `block` can hold data: inside the filesystem, past the boot block. */
  validBlock(block: number): boolean {
    return Number.isSafeInteger(block) && block >= this.firstDataBlock && block < this.blocksCount && block > 0;
  }

  /**
   * Reads one block through the cache; the returned buffer is shared, callers must not modify it.
   * On a miss, `ahead` blocks from `n` on are read in one request and the others cached too.
   */
  async block(n: number, ahead = 1): Promise<Uint8Array> {
    const hit = this.cache.get(n);
    if (hit) return hit;
    const bs = this.blockSize;
    // Read-ahead stops at the filesystem's and the device's end (a truncated image fails only
    // for the block asked for).
    const count = Math.max(1, Math.min(ahead, this.blocksCount - n, Math.floor(this.dev.size / bs) - n));
    const all = new Uint8Array(count * bs);
    await this.readBlocks(n, all);
    for (let i = count - 1; i > 0; i--)
      if (!this.cache.has(n + i)) this.remember(n + i, all.slice(i * bs, (i + 1) * bs));
    const buf = count === 1 ? all : all.slice(0, bs);
    this.remember(n, buf);
    return buf;
  }

  /** Reads `into.length` bytes starting at block `n`, uncached (file data). */
  async readBlocks(n: number, into: Uint8Array): Promise<void> {
    const count = Math.ceil(into.length / this.blockSize);
    if (!this.validBlock(n) || n + count > this.blocksCount) {
      throw new CorruptError(`ext: block ${n} (+${count}) is outside the filesystem of ${this.blocksCount} blocks`);
    }
    const off = n * this.blockSize;
    if (off + into.length > this.dev.size) {
      throw new CorruptError(`ext: block ${n} is past the end of the device (the image is truncated)`);
    }
    await this.dev.read(off, into);
  }

  /**
   * Writes whole blocks and keeps the cache coherent. A single block written (metadata: an inode
   * table block, a directory leaf) is cached, so the next change to it needs no read; file data
   * passes `cache = false`. `owned`: the caller hands `data` over and never changes it again, so
   * it is cached without a copy.
   */
  async writeBlocks(n: number, data: Uint8Array, cache = true, owned = false): Promise<void> {
    const count = Math.ceil(data.length / this.blockSize);
    if (!this.validBlock(n) || n + count > this.blocksCount) {
      throw new CorruptError(`ext: refusing to write block ${n} (+${count}) outside the filesystem`);
    }
    await this.dev.write(n * this.blockSize, data);
    if (cache && data.length === this.blockSize) {
      const copy = owned ? data : data.slice();
      if (this.cache.has(n)) this.cache.set(n, copy);
      else this.remember(n, copy);
      return;
    }
    for (let i = 0; i < count; i++) {
      if (this.cache.has(n + i)) {
        this.cache.set(n + i, data.slice(i * this.blockSize, (i + 1) * this.blockSize));
      }
    }
  }

  /**
   * Caches a block; when full, the oldest quarter goes in one sweep (first in, first out: moving
   * each hit to the end costs a delete and an insert per access, and a Map sweeps deleted slots
   * at its front again on every eviction).
   */
  private remember(n: number, buf: Uint8Array): void {
    if (this.cache.size >= CACHE_BLOCKS) {
      let drop = CACHE_BLOCKS / 4;
      for (const key of this.cache.keys()) {
        this.cache.delete(key);
        if (--drop === 0) break;
      }
    }
    this.cache.set(n, buf);
  }
}

function descSizeOf(sb: Superblock): number {
  return (sb.s_feature_incompat & INCOMPAT['64bit']) !== 0 ? Math.max(32, sb.s_desc_size) : 32;
}

function groupCountOf(sb: Superblock): number {
  return Math.ceil((sb.s_blocks_count - sb.s_first_data_block) / sb.s_blocks_per_group);
}

/** Rejects superblock values that would make every later computation meaningless or huge. */
function checkGeometry(sb: Superblock, devSize: number): void {
  const bad = (what: string) => {
    throw new CorruptError(`ext superblock: ${what}`);
  };
  if (sb.s_log_block_size > 6) bad(`block size 2^(10+${sb.s_log_block_size}) is not supported`);
  const blockSize = 1024 * 2 ** sb.s_log_block_size;
  if (sb.s_first_data_block !== (blockSize === 1024 ? 1 : 0) && sb.s_first_data_block !== 0) {
    bad(`first data block ${sb.s_first_data_block} is impossible`);
  }
  if (sb.s_blocks_count <= sb.s_first_data_block) bad(`block count ${sb.s_blocks_count} is too small`);
  // A group's block bitmap has one bit per cluster: with bigalloc a cluster is 2^n blocks.
  const bigalloc = (sb.s_feature_ro_compat & RO_COMPAT.bigalloc) !== 0;
  if (bigalloc) {
    const shift = sb.s_log_cluster_size - sb.s_log_block_size;
    if (shift < 0 || shift > 16) bad(`cluster size 2^(10+${sb.s_log_cluster_size}) is impossible (bigalloc)`);
    if (sb.s_clusters_per_group < 8 || sb.s_clusters_per_group > blockSize * 8) {
      bad(`clusters per group ${sb.s_clusters_per_group} is impossible for ${blockSize}-byte blocks (bigalloc)`);
    }
    if (sb.s_blocks_per_group !== sb.s_clusters_per_group * 2 ** shift) {
      bad(`blocks per group ${sb.s_blocks_per_group} is not ${sb.s_clusters_per_group} clusters of 2^${shift} blocks`);
    }
  } else if (sb.s_blocks_per_group < 8 || sb.s_blocks_per_group > blockSize * 8) {
    bad(`blocks per group ${sb.s_blocks_per_group} is impossible for ${blockSize}-byte blocks`);
  }
  if (sb.s_inodes_per_group < 1 || sb.s_inodes_per_group > blockSize * 8) {
    bad(`inodes per group ${sb.s_inodes_per_group} is impossible`);
  }
  const groups = groupCountOf(sb);
  if (sb.s_inodes_count > groups * sb.s_inodes_per_group || sb.s_inodes_count < 11) {
    bad(`inode count ${sb.s_inodes_count} does not match ${groups} groups of ${sb.s_inodes_per_group}`);
  }
  if (sb.s_rev_level > 0) {
    const is = sb.s_inode_size;
    if (is < 128 || is > blockSize || (is & (is - 1)) !== 0) bad(`inode size ${is} is impossible`);
    if (sb.s_first_ino < 11 || sb.s_first_ino > sb.s_inodes_count) bad(`first inode ${sb.s_first_ino} is impossible`);
  }
  if ((sb.s_feature_incompat & INCOMPAT['64bit']) !== 0) {
    const ds = sb.s_desc_size;
    if (ds !== 0 && (ds < 32 || ds > 1024 || (ds & (ds - 1)) !== 0)) bad(`descriptor size ${ds} is impossible`);
  }
  if (sb.s_log_cluster_size !== sb.s_log_block_size && !bigalloc) {
    bad(`cluster size differs from block size without bigalloc`);
  }
  // A filesystem claiming far more blocks than the device holds is a corrupt count, not a big disk.
  if (sb.s_blocks_count * blockSize > devSize * 2 + 2 ** 30) {
    bad(
      `block count ${sb.s_blocks_count} (${sb.s_blocks_count * blockSize} bytes) exceeds the device (${devSize} bytes)`,
    );
  }
}

/** True when group `g` carries a superblock backup (and so a descriptor table copy). */
export function groupHasSuper(sb: Superblock, g: number): boolean {
  if (g === 0) return true;
  if ((sb.s_feature_compat & COMPAT.sparse_super2) !== 0) {
    const v = new DataView(sb.s_backup_bgs.buffer, sb.s_backup_bgs.byteOffset);
    return g === v.getUint32(0, true) || g === v.getUint32(4, true);
  }
  if ((sb.s_feature_ro_compat & RO_COMPAT.sparse_super) === 0) return true;
  if (g === 1) return true;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < g) p *= base;
    if (p === g) return true;
  }
  return false;
}

/** Where each block of the primary group descriptor table lives (meta_bg spreads it out). */
function descriptorBlocks(sb: Superblock, blockSize: number, descSize: number, groups: number): number[] {
  const perBlock = blockSize / descSize;
  const count = Math.ceil(groups / perBlock);
  // The table follows the superblock's block (bigalloc has first_data_block 0 even with 1 KiB blocks).
  const first = Math.floor(1024 / blockSize) + 1;
  const metaBg = (sb.s_feature_incompat & INCOMPAT.meta_bg) !== 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!metaBg || i < sb.s_first_meta_bg) {
      out.push(first + i);
      continue;
    }
    const g = i * perBlock;
    const start = sb.s_first_data_block + g * sb.s_blocks_per_group;
    out.push(start + (groupHasSuper(sb, g) ? 1 : 0));
  }
  return out;
}
