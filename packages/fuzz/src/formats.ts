/**
 * Field tables of the headers whose packages do not export their codecs, declared from the
 * specifications (kernel ext4 docs, Microsoft's FAT spec, QEMU's qcow2.txt) with the same struct
 * helper. Only the fields worth mutating: counts, sizes, offsets, shifts, pointers.
 */
import { bytes, struct, u8, u16, u32, u64 } from '@fstool/blockdev/struct';

export const extSuperblock = struct('ext superblock', 1024, {
  inodesCount: u32(0x0),
  blocksCountLo: u32(0x4),
  freeBlocksLo: u32(0xc),
  freeInodes: u32(0x10),
  firstDataBlock: u32(0x14),
  logBlockSize: u32(0x18),
  logClusterSize: u32(0x1c),
  blocksPerGroup: u32(0x20),
  clustersPerGroup: u32(0x24),
  inodesPerGroup: u32(0x28),
  magic: u16(0x38),
  state: u16(0x3a),
  revLevel: u32(0x4c),
  firstIno: u32(0x54),
  inodeSize: u16(0x58),
  featureCompat: u32(0x5c),
  featureIncompat: u32(0x60),
  featureRoCompat: u32(0x64),
  reservedGdtBlocks: u16(0xce),
  journalInum: u32(0xe0),
  hashSeed: bytes(0xec, 16),
  defHashVersion: u8(0xfc),
  descSize: u16(0xfe),
  firstMetaBg: u32(0x104),
  blocksCountHi: u32(0x150),
  minExtraIsize: u16(0x15c),
  logGroupsPerFlex: u8(0x174),
  checksumType: u8(0x175),
  checksum: u32(0x3fc),
});

export const extGroupDesc = struct('ext group descriptor', 32, {
  blockBitmapLo: u32(0x0),
  inodeBitmapLo: u32(0x4),
  inodeTableLo: u32(0x8),
  freeBlocksLo: u16(0xc),
  freeInodesLo: u16(0xe),
  usedDirsLo: u16(0x10),
  flags: u16(0x12),
  itableUnusedLo: u16(0x1c),
  checksum: u16(0x1e),
});

/** An inode's head and the first extent (or the first block pointers) of i_block. */
export const extInode = struct('ext inode', 128, {
  mode: u16(0x0),
  sizeLo: u32(0x4),
  linksCount: u16(0x1a),
  blocksLo: u32(0x1c),
  flags: u32(0x20),
  ehMagic: u16(0x28),
  ehEntries: u16(0x2a),
  ehMax: u16(0x2c),
  ehDepth: u16(0x2e),
  eeBlock: u32(0x34),
  eeLen: u16(0x38),
  eeStartHi: u16(0x3a),
  eeStartLo: u32(0x3c),
  block5: u32(0x3c + 4),
  block12: u32(0x58),
  block13: u32(0x5c),
  block14: u32(0x60),
  fileAcl: u32(0x68),
  sizeHigh: u32(0x6c),
});

export const fatBootSector = struct('FAT boot sector', 512, {
  bytesPerSector: u16(11),
  sectorsPerCluster: u8(13),
  reservedSectors: u16(14),
  numFats: u8(16),
  rootEntries: u16(17),
  totalSectors16: u16(19),
  media: u8(21),
  fatSize16: u16(22),
  totalSectors32: u32(32),
  fatSize32: u32(36),
  extFlags: u16(40),
  rootCluster: u32(44),
  fsInfoSector: u16(48),
  backupBootSector: u16(50),
  signature: u16(510),
});

export const fatDirent = struct('FAT directory entry', 32, {
  name: bytes(0, 11),
  attr: u8(11),
  firstClusterHi: u16(20),
  firstClusterLo: u16(26),
  fileSize: u32(28),
});

export const qcow2Header = struct.be('qcow2 header', 104, {
  magic: u32(0),
  version: u32(4),
  backingFileOffset: u64(8),
  backingFileSize: u32(16),
  clusterBits: u32(20),
  size: u64(24),
  cryptMethod: u32(32),
  l1Size: u32(36),
  l1TableOffset: u64(40),
  refcountTableOffset: u64(48),
  refcountTableClusters: u32(56),
  nbSnapshots: u32(60),
  snapshotsOffset: u64(64),
  incompatibleFeatures: u64(72),
  compatibleFeatures: u64(80),
  autoclearFeatures: u64(88),
  refcountOrder: u32(96),
  headerLength: u32(100),
});

/** One 64-bit table entry (L1, L2, refcount table), as two words: flags live in the high bits. */
export const qcow2Entry = struct.be('qcow2 table entry', 8, { hi: u32(0), lo: u32(4) });
