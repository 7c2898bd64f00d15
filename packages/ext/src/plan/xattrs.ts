/**
 * Where a file's xattrs go: as many as fit in the inode's extra space (in sorted order), the
 * rest in one external block; identical blocks are shared between inodes with a refcount.
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { encodeName, UnsupportedError } from '@fstool/fs';
import { EXTRA_ISIZE, GOOD_OLD_INODE_SIZE } from '../format/inode.js';
import {
  aclToDisk,
  splitXattrName,
  XATTR_BLOCK_HEADER_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  xattrEntrySize,
  xattrValueSize,
} from '../format/xattr.js';

export interface XattrItem {
  index: number;
  /** The name without its namespace prefix. */
  name: Uint8Array;
  value: Uint8Array;
}

export interface XattrBlockPlan {
  block: number;
  items: XattrItem[];
  refcount: number;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

const bytesOf = (items: readonly XattrItem[]) =>
  items.reduce((n, x) => n + xattrEntrySize(x.name.length) + xattrValueSize(x.value.length), 0);

/** A tree entry's xattrs as stored items, sorted by (index, name length, name) as ext's block search expects. */
export function xattrItems(
  path: string,
  xattrs: Map<string, Uint8Array> | undefined,
  warn: (m: string) => void,
): XattrItem[] {
  if (!xattrs?.size) return [];
  const items: XattrItem[] = [];
  for (const [full, raw] of xattrs) {
    const split = splitXattrName(full);
    if (!split) {
      warn(`${path}: xattr ${full} has a namespace ext cannot store; skipped`);
      continue;
    }
    let value = raw;
    if (split.index === 2 || split.index === 3) {
      const disk = aclToDisk(raw);
      if (!disk) throw new InvalidArgumentError(`${path}: ${full} is not a valid POSIX ACL`);
      value = disk;
    }
    const name = encodeName(split.suffix);
    if (name.length > 255) throw new UnsupportedError(`${path}: xattr name ${full} is longer than 255 bytes`);
    items.push({ index: split.index, name, value });
  }
  items.sort((a, b) => a.index - b.index || a.name.length - b.name.length || compareBytes(a.name, b.name));
  return items;
}

/** The empty `system.data` attribute that marks an inline-data inode (it must sit in the inode). */
export const INLINE_DATA_XATTR: XattrItem = { index: 7, name: encodeName('data'), value: new Uint8Array(0) };

/**
 * Splits the items between the inode's extra space and an external block (which must fit one
 * block). `first` items go in the inode ahead of the rest (inline data's marker).
 */
export function splitXattrs(
  path: string,
  xattrs: Map<string, Uint8Array> | undefined,
  inodeSize: number,
  blockSize: number,
  warn: (m: string) => void,
  first: readonly XattrItem[] = [],
): { inInode: XattrItem[]; block: XattrItem[] } {
  const items = xattrItems(path, xattrs, warn);
  // The in-inode area: after the extra fields, a 4-byte magic, entries ending in 4 zero bytes, values.
  const room =
    (inodeSize > GOOD_OLD_INODE_SIZE
      ? inodeSize - GOOD_OLD_INODE_SIZE - EXTRA_ISIZE - XATTR_IBODY_HEADER_SIZE - 4
      : 0) - bytesOf(first);
  let k = 0;
  let used = 0;
  while (k < items.length) {
    const size = bytesOf([items[k] as XattrItem]);
    if (used + size > room) break;
    used += size;
    k++;
  }
  const block = items.slice(k);
  const need = bytesOf(block);
  if (need > blockSize - XATTR_BLOCK_HEADER_SIZE - 4) {
    throw new UnsupportedError(`${path}: xattrs need ${need} bytes, more than one ${blockSize}-byte block holds`);
  }
  return { inInode: [...first, ...items.slice(0, k)], block };
}

/** Identical xattr blocks, shared: one block and a refcount per distinct content. */
export class SharedXattrBlocks {
  readonly #byContent = new Map<string, XattrBlockPlan>();

  constructor(private readonly allocate: () => number) {}

  place(items: XattrItem[]): XattrBlockPlan {
    const key = items.map((x) => `${x.index}:${hex(x.name)}:${hex(x.value)}`).join('|');
    let shared = this.#byContent.get(key);
    if (!shared) {
      shared = { block: this.allocate(), items, refcount: 0 };
      this.#byContent.set(key, shared);
    }
    shared.refcount++;
    return shared;
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
