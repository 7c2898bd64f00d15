/**
 * Group-level metadata from a plan: block and inode bitmaps with their counts, group descriptors,
 * and the superblock (primary and backups), all checksummed as the features require.
 */
import { fsChecksumSeed, groupDescChecksumCrc16, groupDescChecksumCrc32c, superblockChecksum } from '../checksum.js';
import { BG_FLAGS, groupDescCodec } from '../format/group-desc.js';
import { EXTRA_ISIZE, INO } from '../format/inode.js';
import {
  CHECKSUM_TYPE_CRC32C,
  CREATOR_OS_LINUX,
  DEFM,
  ERRORS,
  EXT2_DYNAMIC_REV,
  EXT4_SUPER_MAGIC,
  HASH,
  hasFeature,
  SB_FLAGS,
  STATE,
  SUPERBLOCK_SIZE,
  superblock,
} from '../format/superblock.js';
import { type Geometry, groupBlockCount, groupFirstBlock } from '../plan/geometry.js';
import type { Run } from '../plan/layout.js';
import type { BuildPlan } from '../plan/plan.js';

export interface GroupCounts {
  freeBlocks: number[];
  freeInodes: number[];
  usedDirs: number[];
  /** Inodes past the last used one in each group. */
  itableUnused: number[];
}

function setBits(bitmap: Uint8Array, from: number, to: number): void {
  let i = from;
  while (i < to && i % 8 !== 0) {
    bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
    i++;
  }
  const fullEnd = to - ((to - i) % 8);
  if (fullEnd > i) bitmap.fill(0xff, i >> 3, fullEnd >> 3);
  for (i = Math.max(i, fullEnd); i < to; i++) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
}

/** The block bitmap of every group, built from the used runs (metadata + allocated); returns used counts. */
export function* blockBitmaps(
  geo: Geometry,
  runs: readonly Run[],
): Generator<{ group: number; bitmap: Uint8Array; used: number }> {
  let r = 0;
  for (let g = 0; g < geo.groups; g++) {
    const bitmap = new Uint8Array(geo.blockSize);
    const first = groupFirstBlock(geo, g);
    const count = groupBlockCount(geo, g);
    const end = first + count;
    let used = 0;
    while (r > 0 && (runs[r - 1] as Run).start + (runs[r - 1] as Run).len > first) r--;
    for (; r < runs.length; r++) {
      const run = runs[r] as Run;
      if (run.start >= end) break;
      const s = Math.max(run.start, first);
      const e = Math.min(run.start + run.len, end);
      if (e > s) {
        setBits(bitmap, s - first, e - first);
        used += e - s;
      }
    }
    // Bits past the end of a short last group are set, as e2fsck expects.
    if (count < geo.blocksPerGroup) setBits(bitmap, count, geo.blocksPerGroup);
    yield { group: g, bitmap, used };
  }
}

/** Every used run (metadata and allocated), merged and sorted. */
export function usedRuns(plan: BuildPlan): Run[] {
  const all = [...plan.tables.used, ...plan.allocated].sort((a, b) => a.start - b.start);
  const out: Run[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && last.start + last.len >= r.start) last.len = Math.max(last.len, r.start + r.len - last.start);
    else out.push({ ...r });
  }
  return out;
}

/** The inode bitmap of a group (reserved inodes and planned ones set; padding bits set). */
export function inodeBitmap(
  plan: BuildPlan,
  group: number,
): { bitmap: Uint8Array; used: number; dirs: number; lastUsed: number } {
  const geo = plan.geo;
  const bitmap = new Uint8Array(geo.blockSize);
  const ipg = geo.inodesPerGroup;
  let used = 0;
  let dirs = 0;
  let lastUsed = -1;
  // Groups past the last planned inode hold none: only the padding bits are set.
  const upTo = Math.min(ipg, Math.max(plan.inodes.length, INO.first) - group * ipg - 1);
  for (let k = 0; k < upTo; k++) {
    const ino = group * ipg + k + 1;
    const pi = plan.inodes[ino];
    if (ino < INO.first || pi) {
      bitmap[k >> 3] = (bitmap[k >> 3] as number) | (1 << (k & 7));
      used++;
      lastUsed = k;
      if (pi?.kind === 'dir') dirs++;
    }
  }
  setBits(bitmap, ipg, geo.blockSize * 8);
  return { bitmap, used, dirs, lastUsed };
}

export interface SuperblockParams {
  plan: BuildPlan;
  freeBlocks: number;
  freeInodes: number;
  label: Uint8Array;
  jnlBlocks: Uint8Array;
}

/** The superblock as stored in `group` (only s_block_group_nr and the checksum differ between copies). */
export function superblockBytes(p: SuperblockParams, group: number): Uint8Array {
  const { plan } = p;
  const geo = plan.geo;
  const f = geo.features;
  const buf = new Uint8Array(SUPERBLOCK_SIZE);
  const log = Math.log2(geo.blockSize) - 10;
  const journal = geo.journalBlocks > 0;
  const t = plan.createdAt;
  superblock.patch(
    {
      s_inodes_count: geo.inodesCount,
      s_blocks_count: geo.blocksCount,
      s_r_blocks_count: geo.reservedBlocks,
      s_free_blocks_count: p.freeBlocks,
      s_free_inodes_count: p.freeInodes,
      s_first_data_block: geo.firstDataBlock,
      s_log_block_size: log,
      s_log_cluster_size: log,
      s_blocks_per_group: geo.blocksPerGroup,
      s_clusters_per_group: geo.blocksPerGroup,
      s_inodes_per_group: geo.inodesPerGroup,
      s_wtime: t,
      s_max_mnt_count: -1,
      s_magic: EXT4_SUPER_MAGIC,
      s_state: STATE.valid,
      s_errors: ERRORS.continue,
      s_lastcheck: t,
      s_creator_os: CREATOR_OS_LINUX,
      s_rev_level: EXT2_DYNAMIC_REV,
      s_first_ino: INO.first,
      s_inode_size: geo.inodeSize,
      s_block_group_nr: group,
      s_feature_compat: f.compat,
      s_feature_incompat: f.incompat,
      s_feature_ro_compat: f.roCompat,
      s_uuid: plan.uuid,
      s_volume_name: p.label,
      s_reserved_gdt_blocks: geo.reservedGdtBlocks,
      s_journal_inum: journal ? INO.journal : 0,
      s_hash_seed: plan.hashSeed,
      s_def_hash_version: HASH.half_md4,
      s_jnl_backup_type: journal ? 1 : 0,
      s_desc_size: hasFeature(f, '64bit') ? geo.descSize : 0,
      s_default_mount_opts: DEFM.user_xattr | DEFM.acl,
      s_mkfs_time: t,
      s_jnl_blocks: p.jnlBlocks,
      s_min_extra_isize: geo.inodeSize > 128 ? EXTRA_ISIZE : 0,
      s_want_extra_isize: geo.inodeSize > 128 ? EXTRA_ISIZE : 0,
      s_flags: SB_FLAGS.signed_hash,
      s_log_groups_per_flex: hasFeature(f, 'flex_bg') ? Math.log2(16) : 0,
      s_checksum_type: hasFeature(f, 'metadata_csum') ? CHECKSUM_TYPE_CRC32C : 0,
      // metadata_csum_seed: the seed is stored, so the UUID could change later without rewriting checksums.
      s_checksum_seed: hasFeature(f, 'metadata_csum_seed') ? fsChecksumSeed(plan.uuid) : 0,
    },
    buf,
  );
  if (hasFeature(f, 'metadata_csum')) superblock.set(buf, 0, 's_checksum', superblockChecksum(buf));
  return buf;
}

/** The group descriptor table (all descriptor blocks), checksummed. */
export function groupDescriptorTable(
  plan: BuildPlan,
  counts: GroupCounts,
  bitmapCsums: { block: number[]; inode: number[] },
  fsSeed: number | undefined,
): Uint8Array {
  const geo = plan.geo;
  const codec = groupDescCodec(geo.descSize);
  const table = new Uint8Array(geo.descBlocks * geo.blockSize);
  const csum = hasFeature(geo.features, 'metadata_csum');
  const gdtCsum = hasFeature(geo.features, 'uninit_bg');
  for (let g = 0; g < geo.groups; g++) {
    const at = g * geo.descSize;
    let flags = 0;
    if (csum || gdtCsum) {
      flags |= BG_FLAGS.inode_zeroed;
      if (counts.freeInodes[g] === geo.inodesPerGroup) flags |= BG_FLAGS.inode_uninit;
    }
    codec.encode(
      {
        bg_block_bitmap: plan.tables.blockBitmap[g] as number,
        bg_inode_bitmap: plan.tables.inodeBitmap[g] as number,
        bg_inode_table: plan.tables.inodeTable[g] as number,
        bg_free_blocks_count: counts.freeBlocks[g] as number,
        bg_free_inodes_count: counts.freeInodes[g] as number,
        bg_used_dirs_count: counts.usedDirs[g] as number,
        bg_flags: flags,
        bg_exclude_bitmap: 0,
        bg_block_bitmap_csum: csum
          ? ((bitmapCsums.block[g] as number) & (geo.descSize >= 64 ? 0xffffffff : 0xffff)) >>> 0
          : 0,
        bg_inode_bitmap_csum: csum
          ? ((bitmapCsums.inode[g] as number) & (geo.descSize >= 64 ? 0xffffffff : 0xffff)) >>> 0
          : 0,
        bg_itable_unused: csum || gdtCsum ? (counts.itableUnused[g] as number) : 0,
        bg_checksum: 0,
      },
      table,
      at,
    );
    const desc = table.subarray(at, at + geo.descSize);
    if (csum && fsSeed !== undefined) codec.set(table, at, 'bg_checksum', groupDescChecksumCrc32c(fsSeed, g, desc));
    else if (gdtCsum) codec.set(table, at, 'bg_checksum', groupDescChecksumCrc16(plan.uuid, g, desc));
  }
  return table;
}
