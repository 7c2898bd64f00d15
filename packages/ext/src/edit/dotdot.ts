/**
 * Repointing a directory's '..' (a directory moved to another parent). '..' lives in i_block for
 * inline directories, in the second entry of block 0 otherwise (the fake entry of an htree root).
 */
import { CorruptError } from '@fstool/blockdev';
import { dirEntry } from '../format/dirent.js';
import { dirBlocks, dirSeed, isIndexed, isInline, physicalOf, readDir, readDirBlock } from '../read/dir.js';
import type { Inode } from '../read/inode.js';
import type { Volume } from '../read/volume.js';
import { sealDx, sealLeaf } from './dir-block.js';
import { writeInode } from './inode-write.js';

export async function setDotDot(vol: Volume, dir: Inode, parent: number): Promise<void> {
  if (isInline(dir)) {
    const raw = dir.raw.slice();
    new DataView(raw.buffer, raw.byteOffset + 0x28, 4).setUint32(0, parent, true);
    await writeInode(vol, dir.ino, raw);
    return;
  }
  const rec = (await readDir(vol, dir)).find((r) => r.name === '..');
  const blocks = await dirBlocks(vol, dir);
  const pb = rec ? physicalOf(blocks, rec.lblock) : undefined;
  const buf = rec ? (await readDirBlock(vol, dir, blocks, rec.lblock))?.slice() : undefined;
  if (!rec || pb === undefined || !buf) throw new CorruptError(`ext: directory inode ${dir.ino} has no '..' entry`);
  dirEntry.set(buf, rec.offset, 'inode', parent);
  const seed = dirSeed(vol, dir);
  if (isIndexed(vol, dir)) sealDx(vol, seed, buf, true);
  else sealLeaf(vol, seed, buf);
  await vol.writeBlocks(pb, buf);
}
