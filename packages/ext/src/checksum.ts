/**
 * Checksums of ext2/3/4 and JBD2, and every per-structure rule in one place.
 *
 * The kernel's crc32c (`ext2fs_crc32c_le`) is "raw": no inversion before or after. crc-32's
 * CRC32C inverts on both sides, so raw(seed, data) = ~CRC32C.buf(data, ~seed).
 */
import CRC32C from 'crc-32/crc32c.js';

/** Raw crc32c as the kernel computes it, chaining from `seed`. */
export function crc32c(seed: number, data: Uint8Array): number {
  return ~CRC32C.buf(data, ~seed) >>> 0;
}

const le32 = new Uint8Array(4);
const le32View = new DataView(le32.buffer);
const le64 = new Uint8Array(8);
const le64View = new DataView(le64.buffer);

/** crc32c over a little-endian u32 (inode numbers, group numbers, generations). */
export function crc32cU32(seed: number, value: number): number {
  le32View.setUint32(0, value >>> 0, true);
  return crc32c(seed, le32);
}

/** crc32c over a little-endian u64 (xattr block numbers). */
export function crc32cU64(seed: number, value: number): number {
  le64View.setUint32(0, value % 2 ** 32, true);
  le64View.setUint32(4, Math.floor(value / 2 ** 32), true);
  return crc32c(seed, le64);
}

let crc16Table: Uint16Array | undefined;

/** CRC-16 (polynomial 0x8005, reflected) as e2fsprogs' `ext2fs_crc16`, for `gdt_csum`/`uninit_bg`. */
export function crc16(seed: number, data: Uint8Array): number {
  if (!crc16Table) {
    crc16Table = new Uint16Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
      crc16Table[i] = c;
    }
  }
  let crc = seed & 0xffff;
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ (crc16Table[(crc ^ (data[i] as number)) & 0xff] as number);
  return crc;
}

/** The per-filesystem checksum seed: crc32c(~0, uuid), or `s_checksum_seed` with metadata_csum_seed. */
export function fsChecksumSeed(uuid: Uint8Array): number {
  return crc32c(0xffffffff, uuid);
}

/** Seed of one inode's checksums (inode, extent blocks, directory blocks): fs seed + inode number + generation. */
export function inodeChecksumSeed(fsSeed: number, ino: number, generation: number): number {
  return crc32cU32(crc32cU32(fsSeed, ino), generation);
}

/** Superblock: crc32c(~0) over the 1020 bytes before `s_checksum`. */
export function superblockChecksum(sb: Uint8Array, offset = 0): number {
  return crc32c(0xffffffff, sb.subarray(offset, offset + 0x3fc));
}

/**
 * Group descriptor, metadata_csum: low 16 bits of crc32c(fsSeed, le32 group, descriptor with
 * bg_checksum zeroed). `desc` must already hold a zero checksum field.
 */
export function groupDescChecksumCrc32c(fsSeed: number, group: number, desc: Uint8Array): number {
  return crc32c(crc32cU32(fsSeed, group), desc) & 0xffff;
}

/** Group descriptor, gdt_csum: crc16(~0, uuid, le32 group, descriptor bytes except bg_checksum). */
export function groupDescChecksumCrc16(uuid: Uint8Array, group: number, desc: Uint8Array): number {
  le32View.setUint32(0, group, true);
  let crc = crc16(0xffff, uuid);
  crc = crc16(crc, le32);
  crc = crc16(crc, desc.subarray(0, 0x1e));
  if (desc.length > 0x20) crc = crc16(crc, desc.subarray(0x20));
  return crc;
}

/** Block or inode bitmap: crc32c(fsSeed) over the bits that belong to one group (clusters or inodes / 8 bytes). */
export function bitmapChecksum(fsSeed: number, bitmap: Uint8Array, bits: number): number {
  return crc32c(fsSeed, bitmap.subarray(0, bits / 8));
}

/**
 * Inode: crc32c(inode seed) over the whole on-disk inode (`s_inode_size` bytes) with both checksum
 * fields zeroed. Only the low 16 bits are kept when the inode has no room for `i_checksum_hi`.
 */
export function inodeChecksum(inodeSeed: number, inode: Uint8Array, hasHi: boolean): number {
  const c = crc32c(inodeSeed, inode);
  return hasHi ? c : c & 0xffff;
}

/** Extent tree block: crc32c(inode seed) over the header and `eh_max` entries, stored in the tail after them. */
export function extentBlockChecksum(inodeSeed: number, block: Uint8Array, ehMax: number): number {
  return crc32c(inodeSeed, block.subarray(0, 12 + 12 * ehMax));
}

/** Directory leaf block: crc32c(inode seed) over everything before the 12-byte checksum tail. */
export function dirLeafChecksum(inodeSeed: number, block: Uint8Array): number {
  return crc32c(inodeSeed, block.subarray(0, block.length - 12));
}

/**
 * htree node (dx root or dx node): crc32c(inode seed) over the bytes up to the end of the used
 * dx entries (`countOffset + count * 8`), then over the dx tail with its checksum zeroed.
 */
export function dxNodeChecksum(
  inodeSeed: number,
  block: Uint8Array,
  countOffset: number,
  count: number,
  tailOffset: number,
): number {
  const c = crc32c(inodeSeed, block.subarray(0, countOffset + count * 8));
  // dt_reserved, then a zeroed dt_checksum (the kernel's ext4_dx_csum and e2fsprogs both do).
  return crc32c(crc32c(c, block.subarray(tailOffset, tailOffset + 4)), new Uint8Array(4));
}

/** xattr block: crc32c(fsSeed, le64 block number, whole block with h_checksum zeroed). */
export function xattrBlockChecksum(fsSeed: number, blockNr: number, block: Uint8Array): number {
  return crc32c(crc32cU64(fsSeed, blockNr), block);
}

/** JBD2 superblock (csum v2/v3): crc32c(~0) over the 1024-byte superblock with s_checksum zeroed. */
export function journalSuperblockChecksum(jsb: Uint8Array): number {
  return crc32c(0xffffffff, jsb.subarray(0, 1024));
}
