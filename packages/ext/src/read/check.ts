/**
 * A read-only consistency check (`fstool check`): the free counts of the superblock, the group
 * descriptors and the bitmaps agree; every inode reached from the root is in use, its blocks are
 * marked used and claimed once, its link count matches the names that reach it, and each
 * directory's '..' names its parent. It reports what it finds; e2fsck is the one that repairs.
 */
import type { CheckReport } from '@fstool/fs';
import { BG_FLAGS } from '../format/group-desc.js';
import { INO } from '../format/inode.js';
import { RO_COMPAT } from '../format/superblock.js';
import { isInline, readDir } from './dir.js';
import { type Inode, inodeKind, readInode } from './inode.js';
import { fileMap } from './mapping.js';
import type { Volume } from './volume.js';

/** Reports stop growing here: a badly damaged image would otherwise print forever. */
const MAX_PROBLEMS = 200;

function zeros(map: Uint8Array, bits: number): number {
  let n = 0;
  for (let i = 0; i < bits; i++) if (((map[i >> 3] as number) & (1 << (i & 7))) === 0) n++;
  return n;
}

const isSet = (map: Uint8Array, i: number) => ((map[i >> 3] as number) & (1 << (i & 7))) !== 0;

export async function checkExt(vol: Volume): Promise<CheckReport> {
  const problems: string[] = [];
  const report = (m: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(m);
  };
  const blockMaps: Array<Uint8Array | undefined> = [];
  const inodeMaps: Array<Uint8Array | undefined> = [];
  for (let g = 0; g < vol.groupCount; g++) {
    const d = vol.desc(g);
    if (!(d.bg_flags & BG_FLAGS.block_uninit)) {
      const map = await vol.block(d.bg_block_bitmap);
      blockMaps[g] = map;
      const free = zeros(map, vol.groupBlocks(g));
      if (free !== d.bg_free_blocks_count)
        report(`group ${g}: block bitmap has ${free} free blocks, its descriptor says ${d.bg_free_blocks_count}`);
    }
    if (!(d.bg_flags & BG_FLAGS.inode_uninit)) {
      const map = await vol.block(d.bg_inode_bitmap);
      inodeMaps[g] = map;
      const free = zeros(map, vol.inodesPerGroup);
      if (free !== d.bg_free_inodes_count)
        report(`group ${g}: inode bitmap has ${free} free inodes, its descriptor says ${d.bg_free_inodes_count}`);
    }
  }
  const sums = vol.freeCounts();
  if (sums.blocks !== vol.sb.s_free_blocks_count)
    report(`superblock: ${vol.sb.s_free_blocks_count} free blocks, the groups say ${sums.blocks}`);
  if (sums.inodes !== vol.sb.s_free_inodes_count)
    report(`superblock: ${vol.sb.s_free_inodes_count} free inodes, the groups say ${sums.inodes}`);

  const inodeUsed = (ino: number) => {
    const g = Math.floor((ino - 1) / vol.inodesPerGroup);
    const map = inodeMaps[g];
    return map !== undefined && isSet(map, (ino - 1) % vol.inodesPerGroup);
  };
  const blockUsed = (b: number) => {
    const g = Math.floor((b - vol.firstDataBlock) / vol.blocksPerGroup);
    const map = blockMaps[g];
    // An uninitialised group's bitmap is implied: nothing of an inode's may be there.
    return map !== undefined && isSet(map, (b - vol.firstDataBlock) % vol.blocksPerGroup);
  };

  const claimed = new Uint8Array(Math.ceil(vol.blocksCount / 8));
  const claim = (b: number, ino: number) => {
    if (!vol.validBlock(b)) return report(`inode ${ino}: block ${b} is outside the filesystem`);
    if (isSet(claimed, b)) report(`block ${b} is claimed twice (again by inode ${ino})`);
    claimed[b >> 3] = (claimed[b >> 3] as number) | (1 << (b & 7));
    if (!blockUsed(b)) report(`inode ${ino}: block ${b} is marked free in its bitmap`);
  };
  const names = new Map<number, number>();
  const subdirs = new Map<number, number>();
  const where = new Map<number, string>();
  const visited = new Set<number>();
  let inodes = 0;

  const visit = async (inode: Inode, path: string, parent: number): Promise<void> => {
    inodes++;
    if (!inodeUsed(inode.ino)) report(`${path}: inode ${inode.ino} is in use but free in its bitmap`);
    if (inode.base.i_links_count === 0 || inode.base.i_dtime !== 0)
      report(`${path}: inode ${inode.ino} is reached but marked deleted`);
    const kind = inodeKind(inode);
    if (kind === 'file' || kind === 'dir' || (kind === 'symlink' && inode.base.i_size >= 60 && !isInline(inode))) {
      const map = await fileMap(vol, inode);
      for (const r of map.runs) for (let i = 0; i < r.length; i++) claim(r.physical + i, inode.ino);
      for (const b of map.meta) claim(b, inode.ino);
    }
    if (inode.base.i_file_acl && vol.validBlock(inode.base.i_file_acl) && !blockUsed(inode.base.i_file_acl))
      report(`${path}: xattr block ${inode.base.i_file_acl} is marked free`);
    if (kind !== 'dir') return;
    for (const rec of await readDir(vol, inode)) {
      if (rec.name === '.') continue;
      if (rec.name === '..') {
        if (rec.ino !== parent) report(`${path}: '..' is inode ${rec.ino}, its parent is ${parent}`);
        continue;
      }
      const childPath = path === '/' ? `/${rec.name}` : `${path}/${rec.name}`;
      if (rec.ino < 1 || rec.ino > vol.inodesCount) {
        report(`${childPath}: inode ${rec.ino} does not exist`);
        continue;
      }
      names.set(rec.ino, (names.get(rec.ino) ?? 0) + 1);
      if (visited.has(rec.ino)) continue;
      const child = await readInode(vol, rec.ino);
      if (inodeKind(child) === 'dir') subdirs.set(inode.ino, (subdirs.get(inode.ino) ?? 0) + 1);
      visited.add(rec.ino);
      where.set(rec.ino, childPath);
      await visit(child, childPath, inode.ino);
    }
  };
  visited.add(INO.root);
  await visit(await readInode(vol, INO.root), '/', INO.root);

  const dirNlink = vol.hasRoCompat(RO_COMPAT.dir_nlink);
  where.set(INO.root, '/');
  for (const ino of visited) {
    const inode = await readInode(vol, ino);
    const path = where.get(ino) as string;
    const want = inodeKind(inode) === 'dir' ? 2 + (subdirs.get(ino) ?? 0) : (names.get(ino) ?? 0);
    const have = inode.base.i_links_count;
    if (have !== want && !(dirNlink && have === 1 && inodeKind(inode) === 'dir'))
      report(`${path}: inode ${ino} has link count ${have}, ${want} names reach it`);
  }
  return { problems, checked: `${vol.groupCount} groups, ${inodes} inodes reached` };
}
