/**
 * Dropping one link of an inode; on the last one the inode is marked deleted and its data,
 * mapping and xattr blocks go back to the allocator (written at the next flush, after the inode).
 */
import { xattrBlockChecksum } from '../checksum.js';
import { encodeTime, inodeBase } from '../format/inode.js';
import { XATTR_MAGIC, xattrBlockHeader } from '../format/xattr.js';
import { isInline } from '../read/dir.js';
import { type Inode, inodeKind } from '../read/inode.js';
import { fileMap } from '../read/mapping.js';
import type { EditContext } from './dir-edit.js';
import { setTime, writeInode } from './inode-write.js';

/** Whether the inode's i_block is a block mapping (not a fast symlink, device number or inline data). */
function hasMapping(inode: Inode): boolean {
  if (isInline(inode)) return false;
  const kind = inodeKind(inode);
  if (kind === 'file' || kind === 'dir') return true;
  return kind === 'symlink' && inode.base.i_size >= 60;
}

export async function releaseInode(ctx: EditContext, inode: Inode, isDir: boolean): Promise<void> {
  const { vol, alloc } = ctx;
  const links = isDir ? 0 : Math.max(0, inode.base.i_links_count - 1);
  const raw = inode.raw.slice();
  if (links > 0) {
    inodeBase.set(raw, 0, 'i_links_count', links);
    setTime(vol, raw, 'ctime', ctx.now);
    await writeInode(vol, inode.ino, raw);
    return;
  }
  const freed: Array<{ start: number; len: number }> = [];
  if (hasMapping(inode)) {
    const map = await fileMap(vol, inode);
    for (const r of map.runs) freed.push({ start: r.physical, len: r.length });
    for (const b of map.meta) freed.push({ start: b, len: 1 });
  }
  const acl = inode.base.i_file_acl;
  if (acl !== 0 && vol.validBlock(acl)) {
    const block = (await vol.block(acl)).slice();
    const h = xattrBlockHeader.decode(block);
    if (h.h_magic === XATTR_MAGIC && h.h_refcount > 1) {
      xattrBlockHeader.set(block, 0, 'h_refcount', h.h_refcount - 1);
      if (vol.metadataCsum) {
        xattrBlockHeader.set(block, 0, 'h_checksum', 0);
        xattrBlockHeader.set(block, 0, 'h_checksum', xattrBlockChecksum(vol.csumSeed, acl, block));
      }
      await vol.writeBlocks(acl, block);
    } else {
      freed.push({ start: acl, len: 1 });
    }
  }
  inodeBase.patch({ i_links_count: 0, i_dtime: encodeTime(ctx.now).time }, raw);
  setTime(vol, raw, 'ctime', ctx.now);
  await writeInode(vol, inode.ino, raw);
  await alloc.loadFor(freed);
  for (const f of freed) alloc.freeBlocksRun(f.start, f.len);
  await alloc.freeInode(inode.ino, isDir);
}
