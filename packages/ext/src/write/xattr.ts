/**
 * The bytes of extended attributes: the in-inode area (after i_extra_isize) and the external
 * xattr block. Entries are written in the planned (sorted) order; values are packed from the end.
 */
import { xattrBlockChecksum } from '../checksum.js';
import {
  XATTR_BLOCK_HEADER_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_MAGIC,
  xattrBlockHash,
  xattrBlockHeader,
  xattrEntry,
  xattrEntryHash,
  xattrEntrySize,
  xattrIbodyHeader,
  xattrValueSize,
} from '../format/xattr.js';
import type { XattrItem } from '../plan/xattrs.js';

/**
 * Writes entries at `entriesAt` of `buf` and their values ending at `end`; value offsets are
 * relative to `base`. Returns the entry hashes.
 */
function writeEntries(
  buf: Uint8Array,
  items: readonly XattrItem[],
  entriesAt: number,
  end: number,
  base: number,
): number[] {
  const hashes: number[] = [];
  let at = entriesAt;
  let valueAt = end;
  for (const x of items) {
    valueAt -= xattrValueSize(x.value.length);
    const hash = xattrEntryHash(x.name, x.value);
    hashes.push(hash);
    xattrEntry.encode(
      {
        e_name_len: x.name.length,
        e_name_index: x.index,
        e_value_offs: x.value.length ? valueAt - base : 0,
        e_value_inum: 0,
        e_value_size: x.value.length,
        e_hash: hash,
      },
      buf,
      at,
    );
    buf.set(x.name, at + 16);
    buf.set(x.value, valueAt);
    at += xattrEntrySize(x.name.length);
  }
  // The 4 zero bytes after the last entry end the list (the buffer is zeroed).
  return hashes;
}

/** Fills the in-inode xattr area of an inode at `inodeAt` of the table (extra fields end at `areaAt`). */
export function writeInodeXattrs(
  table: Uint8Array,
  inodeAt: number,
  inodeSize: number,
  areaAt: number,
  items: readonly XattrItem[],
): void {
  xattrIbodyHeader.encode({ h_magic: XATTR_MAGIC }, table, inodeAt + areaAt);
  const first = inodeAt + areaAt + XATTR_IBODY_HEADER_SIZE;
  writeEntries(table, items, first, inodeAt + inodeSize, first);
}

/** A complete xattr block. `fsSeed` is the checksum seed, or undefined without metadata_csum. */
export function xattrBlock(
  items: readonly XattrItem[],
  refcount: number,
  blockNr: number,
  blockSize: number,
  fsSeed: number | undefined,
): Uint8Array {
  const block = new Uint8Array(blockSize);
  const hashes = writeEntries(block, items, XATTR_BLOCK_HEADER_SIZE, blockSize, 0);
  xattrBlockHeader.encode(
    { h_magic: XATTR_MAGIC, h_refcount: refcount, h_blocks: 1, h_hash: xattrBlockHash(hashes), h_checksum: 0 },
    block,
  );
  if (fsSeed !== undefined) xattrBlockHeader.set(block, 0, 'h_checksum', xattrBlockChecksum(fsSeed, blockNr, block));
  return block;
}
