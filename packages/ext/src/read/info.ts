/**
 * `info()`: what dumpe2fs -h would tell a user, in one object — label, UUID, kind, features,
 * geometry, counts (from the group descriptors, which the kernel keeps current), times and the
 * journal's presence and state.
 */
import type { FsInfo } from '@fstool/fs';
import { decodeName } from '@fstool/fs';
import { INO } from '../format/inode.js';
import { JBD2_MAGIC, journalSuperblock } from '../format/jbd2.js';
import { COMPAT, featureNames, INCOMPAT, RO_COMPAT, STATE } from '../format/superblock.js';
import { formatUuid } from '../uuid.js';
import { FileReader } from './content.js';
import { readInode } from './inode.js';
import type { Volume } from './volume.js';

/** ext2, ext3 or ext4, as blkid names them: ext4 once anything ext3 lacks is on. */
export function fsType(vol: Volume): 'ext2' | 'ext3' | 'ext4' {
  const ext3Incompat = INCOMPAT.filetype | INCOMPAT.needs_recovery | INCOMPAT.meta_bg;
  const ext3RoCompat = RO_COMPAT.sparse_super | RO_COMPAT.large_file | RO_COMPAT.btree_dir;
  if ((vol.features.incompat & ~ext3Incompat) !== 0 || (vol.features.roCompat & ~ext3RoCompat) !== 0) return 'ext4';
  return vol.hasCompat(COMPAT.has_journal) ? 'ext3' : 'ext2';
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return decodeName(end < 0 ? b : b.subarray(0, end));
}

/** Seconds since the epoch as an ISO string, or undefined for "never" (0). */
function time(seconds: number): string | undefined {
  return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString();
}

export interface JournalInfo {
  inode: number;
  size: number;
  state: 'clean' | 'needs recovery';
  sequence?: number;
}

/** The internal journal's inode, size and whether it holds transactions to replay. */
async function journalInfo(vol: Volume): Promise<JournalInfo | undefined> {
  if (!vol.hasCompat(COMPAT.has_journal)) return undefined;
  const ino = vol.sb.s_journal_inum;
  const needs = vol.hasIncompat(INCOMPAT.needs_recovery);
  const info: JournalInfo = { inode: ino, size: 0, state: needs ? 'needs recovery' : 'clean' };
  if (ino === 0) return info;
  try {
    const inode = await readInode(vol, ino);
    info.size = inode.base.i_size;
    const jsb = new Uint8Array(1024);
    await new FileReader(vol, inode).read(0, jsb);
    const j = journalSuperblock.decode(jsb);
    if (j.h_magic === JBD2_MAGIC) {
      info.sequence = j.s_sequence;
      if (j.s_start !== 0) info.state = 'needs recovery';
    }
  } catch (e) {
    vol.warn(`journal inode ${ino} unreadable: ${(e as Error).message}`);
  }
  return info;
}

export async function fsInfo(vol: Volume, type: string): Promise<FsInfo> {
  const sb = vol.sb;
  const { blocks: freeBlocks, inodes: freeInodes } = vol.freeCounts();
  const state = (sb.s_state & STATE.errors) !== 0 ? 'errors' : (sb.s_state & STATE.valid) !== 0 ? 'clean' : 'not clean';
  const info: FsInfo = {
    type,
    size: vol.blocksCount * vol.blockSize,
    label: cString(sb.s_volume_name),
    uuid: formatUuid(sb.s_uuid),
    blockSize: vol.blockSize,
    clusterSize: vol.clusterBlocks > 1 ? vol.clusterBlocks * vol.blockSize : undefined,
    blocks: vol.blocksCount,
    freeBlocks,
    inodes: vol.inodesCount,
    freeInodes,
    features: featureNames(vol.features),
    reservedBlocks: sb.s_r_blocks_count,
    inodeSize: vol.inodeSize,
    groups: vol.groupCount,
    blocksPerGroup: vol.blocksPerGroup,
    inodesPerGroup: vol.inodesPerGroup,
    state,
    checksums: vol.metadataCsum ? 'metadata_csum' : vol.gdtCsum ? 'gdt_csum' : 'none',
    created: time(sb.s_mkfs_time),
    lastMounted: time(sb.s_mtime),
    lastWritten: time(sb.s_wtime),
    lastChecked: time(sb.s_lastcheck),
    mountCount: sb.s_mnt_count,
    lastMountedOn: cString(sb.s_last_mounted),
    hashSeed: formatUuid(sb.s_hash_seed),
    rootInode: INO.root,
  };
  const journal = await journalInfo(vol);
  if (journal) info.journal = journal;
  for (const [k, v] of Object.entries(info)) if (v === undefined) delete info[k];
  return info;
}
