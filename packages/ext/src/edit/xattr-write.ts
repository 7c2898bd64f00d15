/**
 * Extended attributes of new inodes: as many as fit in the inode body after the extra fields,
 * the rest in one xattr block of their own. The byte layout is the writer's (write/xattr.ts).
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { UnsupportedError } from '@fstool/fs';
import { EXTRA_ISIZE, GOOD_OLD_INODE_SIZE } from '../format/inode.js';
import {
  aclToDisk,
  splitXattrName,
  XATTR_BLOCK_HEADER_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  xattrEntrySize,
  xattrValueSize,
} from '../format/xattr.js';
import type { XattrItem } from '../plan/plan.js';
import type { Volume } from '../read/volume.js';
import { encodeUtf8 } from '../utf8.js';
import { xattrBlock } from '../write/xattr.js';

const bytesOf = (items: readonly XattrItem[]) =>
  items.reduce((n, x) => n + xattrEntrySize(x.name.length) + xattrValueSize(x.value.length), 0);

export interface XattrSplit {
  inInode: XattrItem[];
  inBlock: XattrItem[];
}

/** Sorts attributes as ext stores them and decides which go in the inode and which in a block. */
export function splitXattrs(vol: Volume, path: string, xattrs: ReadonlyMap<string, Uint8Array>): XattrSplit {
  const items: XattrItem[] = [];
  for (const [full, raw] of xattrs) {
    const split = splitXattrName(full);
    if (!split) throw new UnsupportedError(`${path}: xattr ${full} has a namespace ext cannot store`);
    let value = raw;
    if (split.index === 2 || split.index === 3) {
      const disk = aclToDisk(raw);
      if (!disk) throw new InvalidArgumentError(`${path}: ${full} is not a valid POSIX ACL`);
      value = disk;
    }
    items.push({ index: split.index, name: encodeUtf8(split.suffix), value });
  }
  items.sort((a, b) => a.index - b.index || a.name.length - b.name.length || compare(a.name, b.name));
  const extra = vol.inodeSize >= GOOD_OLD_INODE_SIZE + EXTRA_ISIZE ? EXTRA_ISIZE : 0;
  const room = extra ? vol.inodeSize - GOOD_OLD_INODE_SIZE - extra - XATTR_IBODY_HEADER_SIZE - 4 : 0;
  let k = 0;
  while (k < items.length && bytesOf(items.slice(0, k + 1)) <= room) k++;
  const out = { inInode: items.slice(0, k), inBlock: items.slice(k) };
  if (bytesOf(out.inBlock) > vol.blockSize - XATTR_BLOCK_HEADER_SIZE - 4) {
    throw new UnsupportedError(`${path}: xattrs need more than one ${vol.blockSize}-byte block`);
  }
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Writes the block part into block `nr`. */
export async function writeXattrBlock(vol: Volume, nr: number, items: readonly XattrItem[]): Promise<void> {
  await vol.writeBlocks(nr, xattrBlock(items, 1, nr, vol.blockSize, vol.metadataCsum ? vol.csumSeed : undefined));
}
