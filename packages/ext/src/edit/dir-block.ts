/**
 * Directory block bytes for in-place changes: inserting into and removing from a leaf, and
 * sealing leaves and dx blocks with their checksums. Whole directories are encoded by the
 * writer's `directoryBlocks` (write/dir.ts).
 */
import { dataView } from '@fstool/blockdev/struct';
import { dxNodeChecksum } from '../checksum.js';
import {
  DIR_TAIL_SIZE,
  DX_ENTRY_SIZE,
  DX_NODE_ENTRIES,
  DX_ROOT_ENTRIES,
  DX_TAIL_SIZE,
  dirEntry,
  direntSize,
  dxCountLimit,
  dxTail,
} from '../format/dirent.js';
import type { Volume } from '../read/volume.js';
import { sealDirLeaf } from '../write/dir.js';

/** An entry to place: name bytes, inode and file_type. */
export interface NewDirent {
  name: Uint8Array;
  ino: number;
  fileType: number;
}

/** Bytes of a leaf block that hold entries (the rest is the checksum tail). */
export function leafLimit(vol: Volume): number {
  return vol.blockSize - (vol.metadataCsum ? DIR_TAIL_SIZE : 0);
}

function putEntry(buf: Uint8Array, off: number, e: NewDirent, recLen: number): void {
  dirEntry.encode({ inode: e.ino, rec_len: recLen, name_len: e.name.length, file_type: e.fileType }, buf, off);
  buf.set(e.name, off + 8);
}

/** A leaf block with no entries (one unused record spanning it). */
export function emptyLeaf(vol: Volume): Uint8Array {
  const buf = new Uint8Array(vol.blockSize);
  dirEntry.encode({ inode: 0, rec_len: leafLimit(vol), name_len: 0, file_type: 0 }, buf, 0);
  return buf;
}

/** Puts `e` into the first gap big enough in a leaf block; false when none is. */
export function insertIntoLeaf(vol: Volume, buf: Uint8Array, e: NewDirent): boolean {
  const need = direntSize(e.name.length);
  const limit = leafLimit(vol);
  // Three fields per entry through the codec's fields on one view: no object or field lookup per
  // entry on a path every insert takes.
  const dv = dataView(buf);
  const { inode, rec_len, name_len } = dirEntry.fields;
  const where = 'directory leaf';
  for (let off = 0; off < limit; ) {
    const at = buf.byteOffset + off;
    const recLen = rec_len.get(dv, at, true, where);
    if (recLen < 8) return false;
    const used = inode.get(dv, at, true, where) === 0 ? 0 : direntSize(name_len.get(dv, at, true, where));
    if (recLen - used >= need) {
      if (used > 0) dirEntry.set(buf, off, 'rec_len', used);
      putEntry(buf, off + used, e, recLen - used);
      return true;
    }
    off += recLen;
  }
  return false;
}

/** Removes the entry at `offset` of a leaf block: merged into the one before, or emptied when first. */
export function removeFromLeaf(buf: Uint8Array, offset: number): void {
  if (offset === 0) {
    dirEntry.set(buf, 0, 'inode', 0);
    return;
  }
  let prev = 0;
  for (let off = 0; off < offset; ) {
    prev = off;
    off += dirEntry.get(buf, off, 'rec_len');
  }
  const len = dirEntry.get(buf, offset, 'rec_len');
  dirEntry.set(buf, prev, 'rec_len', dirEntry.get(buf, prev, 'rec_len') + len);
}

/** Writes the leaf checksum tail (metadata_csum). */
export function sealLeaf(vol: Volume, seed: number, buf: Uint8Array): void {
  if (!vol.metadataCsum) return;
  sealDirLeaf(seed, buf);
}

function countOffset(root: boolean): number {
  return root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES;
}

export function dxLimit(vol: Volume, root: boolean): number {
  return (vol.blockSize - countOffset(root) - (vol.metadataCsum ? DX_TAIL_SIZE : 0)) / DX_ENTRY_SIZE;
}

/** Writes a dx block's checksum tail (metadata_csum). */
export function sealDx(vol: Volume, seed: number, buf: Uint8Array, root: boolean): void {
  if (!vol.metadataCsum) return;
  const co = countOffset(root);
  const { limit, count } = dxCountLimit.decode(buf, co);
  const tail = co + limit * DX_ENTRY_SIZE;
  dxTail.encode({ dt_reserved: 0, dt_checksum: 0 }, buf, tail);
  dxTail.set(buf, tail, 'dt_checksum', dxNodeChecksum(seed, buf, co, count, tail));
}
