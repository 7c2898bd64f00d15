/**
 * Reading extended attributes from the inode body and the external xattr block. POSIX ACLs are
 * returned in the form getxattr(2) gives (version 2 entries), not ext4's compact on-disk form.
 */
import { CorruptError } from '@fstool/blockdev';
import { dataView } from '@fstool/blockdev/struct';
import { decodeName } from '@fstool/fs';
import { xattrBlockChecksum } from '../checksum.js';
import { GOOD_OLD_INODE_SIZE } from '../format/inode.js';
import {
  joinXattrName,
  XATTR_BLOCK_HEADER_SIZE,
  XATTR_ENTRY_HEADER_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_MAGIC,
  xattrBlockHeader,
  xattrEntry,
  xattrEntrySize,
  xattrIbodyHeader,
} from '../format/xattr.js';
import type { Inode } from './inode.js';
import type { Volume } from './volume.js';

/**
 * Parses entries starting at `start` of `buf` up to `end`; values are at `valueBase` + e_value_offs.
 * Names are full names ('user.x'); values are copies.
 */
function parseEntries(
  buf: Uint8Array,
  start: number,
  end: number,
  valueBase: number,
  where: string,
  out: Map<string, Uint8Array>,
): void {
  let off = start;
  while (off + 4 <= end && dataView(buf).getUint32(buf.byteOffset + off, true) !== 0) {
    if (off + XATTR_ENTRY_HEADER_SIZE > end)
      throw new CorruptError(`ext: ${where}: xattr entry at ${off} runs past the end`);
    const e = xattrEntry.decode(buf, off);
    const size = xattrEntrySize(e.e_name_len);
    if (off + size > end) throw new CorruptError(`ext: ${where}: xattr name at ${off} runs past the end`);
    const name = joinXattrName(e.e_name_index, decodeName(buf.subarray(off + 16, off + 16 + e.e_name_len)));
    if (e.e_value_inum !== 0)
      throw new CorruptError(
        `ext: ${where}: xattr ${name} lives in inode ${e.e_value_inum} (ea_inode is not supported)`,
      );
    const vstart = valueBase + e.e_value_offs;
    if (e.e_value_size > 0 && (vstart < valueBase || vstart + e.e_value_size > end)) {
      throw new CorruptError(`ext: ${where}: value of xattr ${name} is outside the attribute area`);
    }
    out.set(name, buf.slice(vstart, vstart + e.e_value_size));
    off += size;
  }
}

/** Attributes stored in the inode body after the extra fields. */
export function ibodyXattrs(vol: Volume, inode: Inode): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const start = GOOD_OLD_INODE_SIZE + inode.extraSize;
  if (vol.inodeSize <= GOOD_OLD_INODE_SIZE || inode.extraSize === 0) return out;
  if (start + XATTR_IBODY_HEADER_SIZE > vol.inodeSize) return out;
  if (xattrIbodyHeader.get(inode.raw, start, 'h_magic') !== XATTR_MAGIC) return out;
  const first = start + XATTR_IBODY_HEADER_SIZE;
  parseEntries(inode.raw, first, vol.inodeSize, first, `inode ${inode.ino}`, out);
  return out;
}

/** Attributes of the external block `i_file_acl`, checksum verified under metadata_csum. */
export async function blockXattrs(vol: Volume, inode: Inode): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const b = inode.base.i_file_acl;
  if (b === 0) return out;
  const where = `inode ${inode.ino} xattr block ${b}`;
  if (!vol.validBlock(b)) throw new CorruptError(`ext: ${where} is outside the filesystem`);
  const block = await vol.block(b);
  const h = xattrBlockHeader.decode(block);
  if (h.h_magic !== XATTR_MAGIC || h.h_blocks !== 1) throw new CorruptError(`ext: ${where}: bad header`);
  if (vol.metadataCsum) {
    const copy = block.slice();
    xattrBlockHeader.set(copy, 0, 'h_checksum', 0);
    if (xattrBlockChecksum(vol.csumSeed, b, copy) !== h.h_checksum)
      vol.checksumMismatch(`${where} checksum does not match`);
  }
  parseEntries(block, XATTR_BLOCK_HEADER_SIZE, block.length, 0, where, out);
  return out;
}

/** Every attribute of an inode, ACLs converted, `system.data` (inline data) left out. */
export async function inodeXattrs(vol: Volume, inode: Inode): Promise<Map<string, Uint8Array>> {
  const all = new Map([...(await blockXattrs(vol, inode)), ...ibodyXattrs(vol, inode)]);
  all.delete('system.data');
  for (const name of ['system.posix_acl_access', 'system.posix_acl_default']) {
    const v = all.get(name);
    if (v) all.set(name, aclToXattr(v, `inode ${inode.ino} ${name}`));
  }
  return all;
}

const ACL_USER = 0x02;
const ACL_GROUP = 0x08;

/** ext4's ACL (version 1, short entries without ids) → the posix_acl_xattr form (version 2). */
function aclToXattr(disk: Uint8Array, where: string): Uint8Array {
  const dv = new DataView(disk.buffer, disk.byteOffset, disk.length);
  if (disk.length < 4 || dv.getUint32(0, true) !== 1) throw new CorruptError(`ext: ${where}: bad ACL header`);
  const entries: Array<[number, number, number]> = [];
  let off = 4;
  while (off < disk.length) {
    if (off + 4 > disk.length) throw new CorruptError(`ext: ${where}: truncated ACL entry`);
    const tag = dv.getUint16(off, true);
    const perm = dv.getUint16(off + 2, true);
    if (tag === ACL_USER || tag === ACL_GROUP) {
      if (off + 8 > disk.length) throw new CorruptError(`ext: ${where}: truncated ACL entry`);
      entries.push([tag, perm, dv.getUint32(off + 4, true)]);
      off += 8;
    } else {
      entries.push([tag, perm, 0xffffffff]);
      off += 4;
    }
  }
  const out = new Uint8Array(4 + entries.length * 8);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, 2, true);
  entries.forEach(([tag, perm, id], i) => {
    ov.setUint16(4 + i * 8, tag, true);
    ov.setUint16(6 + i * 8, perm, true);
    ov.setUint32(8 + i * 8, id, true);
  });
  return out;
}
