/**
 * Extended attributes: the in-inode area after the extra fields (a 4-byte magic, then entries)
 * and the external xattr block (a 32-byte header, then entries; values packed from the end).
 */
import { struct, u8, u16, u32 } from '@fstool/blockdev/struct';

export const XATTR_MAGIC = 0xea020000;

export const xattrBlockHeader = struct('ext4 xattr block header', 32, {
  h_magic: u32(0x00),
  h_refcount: u32(0x04),
  h_blocks: u32(0x08),
  h_hash: u32(0x0c),
  h_checksum: u32(0x10),
});
export const XATTR_BLOCK_HEADER_SIZE = 32;

export const xattrIbodyHeader = struct('ext4 xattr ibody header', 4, { h_magic: u32(0x0) });
export const XATTR_IBODY_HEADER_SIZE = 4;

/** An entry's fixed part; the name (without its prefix) follows at offset 16, padded to 4 bytes. */
export const xattrEntry = struct('ext4 xattr entry', 16, {
  e_name_len: u8(0x0),
  e_name_index: u8(0x1),
  e_value_offs: u16(0x2),
  e_value_inum: u32(0x4),
  e_value_size: u32(0x8),
  e_hash: u32(0xc),
});
export const XATTR_ENTRY_HEADER_SIZE = 16;

/** Bytes an entry takes with a name of `nameLen` bytes. */
export function xattrEntrySize(nameLen: number): number {
  return (XATTR_ENTRY_HEADER_SIZE + nameLen + 3) & ~3;
}

/** Bytes a value takes (padded to 4). */
export function xattrValueSize(len: number): number {
  return (len + 3) & ~3;
}

/** Name prefixes by e_name_index; longest first so that matching picks the most specific. */
export const XATTR_PREFIXES: ReadonlyArray<readonly [index: number, prefix: string]> = [
  [2, 'system.posix_acl_access'],
  [3, 'system.posix_acl_default'],
  [8, 'system.richacl'],
  [6, 'security.'],
  [4, 'trusted.'],
  [7, 'system.'],
  [1, 'user.'],
];

/** Splits a full attribute name into its index and the stored suffix; undefined when no prefix fits. */
export function splitXattrName(name: string): { index: number; suffix: string } | undefined {
  for (const [index, prefix] of XATTR_PREFIXES) {
    if (name.startsWith(prefix)) {
      const suffix = name.slice(prefix.length);
      // The two ACL names are whole names: anything after them is not that attribute.
      if ((index === 2 || index === 3 || index === 8) && suffix !== '') continue;
      return { index, suffix };
    }
  }
  return undefined;
}

/** The full name of a stored entry. */
export function joinXattrName(index: number, suffix: string): string {
  const p = XATTR_PREFIXES.find(([i]) => i === index);
  return p ? p[1] + suffix : `unknown${index}.${suffix}`;
}

/**
 * Hash of one entry: its name bytes, then (for values stored in the block or inode) the value
 * as little-endian u32 words padded with zeros.
 */
export function xattrEntryHash(name: Uint8Array, value: Uint8Array | undefined): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = ((hash << 5) ^ (hash >>> 27) ^ (name[i] as number)) >>> 0;
  if (value && value.length > 0) {
    const words = Math.ceil(value.length / 4);
    for (let w = 0; w < words; w++) {
      let word = 0;
      for (let b = 3; b >= 0; b--) word = word * 256 + (value[w * 4 + b] ?? 0);
      hash = ((hash << 16) ^ (hash >>> 16) ^ word) >>> 0;
    }
  }
  return hash >>> 0;
}

/** Hash of an xattr block from its entries' hashes (0 when any entry hash is 0). */
export function xattrBlockHash(entryHashes: readonly number[]): number {
  let hash = 0;
  for (const h of entryHashes) {
    if (h === 0) return 0;
    hash = ((hash << 16) ^ (hash >>> 16) ^ h) >>> 0;
  }
  return hash;
}

/**
 * POSIX ACLs as the VFS hands them over (`system.posix_acl_*` values: version 2, 8-byte entries)
 * converted to ext4's compact form (version 1; owner/group-owner/mask/other entries without an id).
 * Returns undefined when the value is not a well-formed VFS ACL.
 */
export function aclToDisk(value: Uint8Array): Uint8Array | undefined {
  if (value.length < 4 || (value.length - 4) % 8 !== 0) return undefined;
  const dv = new DataView(value.buffer, value.byteOffset, value.length);
  if (dv.getUint32(0, true) !== 2) return undefined;
  const out: number[] = [1, 0, 0, 0];
  for (let off = 4; off < value.length; off += 8) {
    const tag = dv.getUint16(off, true);
    const perm = dv.getUint16(off + 2, true);
    out.push(tag & 0xff, tag >> 8, perm & 0xff, perm >> 8);
    // ACL_USER (2) and ACL_GROUP (8) keep their id; the others are short entries.
    if (tag === 2 || tag === 8) for (let b = 0; b < 4; b++) out.push(value[off + 4 + b] as number);
  }
  return Uint8Array.from(out);
}
