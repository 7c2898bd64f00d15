/**
 * Volume geometry: FAT type, cluster size and where each region starts, chosen from the size the
 * way mkfs.fat (dosfstools 4.x) does. Pure functions, no I/O.
 *
 * Layout: reserved sectors (boot sector; FSInfo and backup on FAT32) · FAT #1 · FAT #2 ·
 * root directory (FAT12/16 only, fixed size) · data clusters numbered from 2.
 * The FAT type is decided by the cluster count alone (fatgen103 section 3.5).
 */
import { formatSize, InvalidArgumentError } from '@fstool/blockdev';
import { UnsupportedError } from '@fstool/fs';
import { SECTOR_SIZE } from './format/boot-sector.js';

export type FatType = 12 | 16 | 32;

/** Cluster-count limits per type: below 4085 is FAT12, below 65525 FAT16, else FAT32. */
export const MIN_CLUSTERS: Record<FatType, number> = { 12: 1, 16: 4085, 32: 65525 };
export const MAX_CLUSTERS: Record<FatType, number> = { 12: 4084, 16: 65524, 32: 0x0ffffff5 };
export const NUM_FATS = 2;
/** Root entries of a FAT12/16 volume unless the tree needs more (mkfs.fat's default for disks). */
export const DEFAULT_ROOT_ENTRIES = 512;
/** The most a 16-bit root entry count can say in whole sectors. */
const MAX_ROOT_ENTRIES = 65520;
const MAX_SPC = 64; // 32 KiB clusters: the largest every implementation accepts
const MAX_SECTORS = 0xffffffff;
/** mkfs.fat leaves small volumes (floppy sizes) unaligned. */
const ALIGN_ABOVE_SECTORS = 8192;

export interface Geometry {
  fatType: FatType;
  totalSectors: number;
  sectorsPerCluster: number;
  clusterSize: number;
  reservedSectors: number;
  fatSectors: number;
  /** FAT12/16: entries in the fixed root directory; 0 on FAT32. */
  rootEntries: number;
  rootSectors: number;
  firstDataSector: number;
  /** Data clusters, numbered 2 … clusters + 1. */
  clusters: number;
}

export interface GeometryOptions {
  fatType?: FatType;
  /** Bytes per cluster: a power of two from 512 to 65536. */
  clusterSize?: number;
  reservedSectors?: number;
  /** FAT12/16 root directory entries needed (rounded up to fill whole sectors). */
  rootEntries?: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** FAT sectors needed to describe `clusters` clusters (plus the two reserved entries). */
function fatSectorsFor(type: FatType, clusters: number): number {
  const bytes = type === 12 ? Math.ceil(((clusters + 2) * 3) / 2) : (clusters + 2) * (type / 8);
  return Math.ceil(bytes / SECTOR_SIZE);
}

function fixedRegions(type: FatType, spc: number, align: boolean, opts: GeometryOptions) {
  let reservedSectors = opts.reservedSectors ?? (type === 32 ? 32 : 1);
  if (align && opts.reservedSectors === undefined) reservedSectors = alignUp(reservedSectors, spc);
  let rootSectors = 0;
  if (type !== 32) {
    const entries = Math.max(opts.rootEntries ?? 0, DEFAULT_ROOT_ENTRIES);
    if (entries > MAX_ROOT_ENTRIES) {
      throw new UnsupportedError(
        `a FAT${type} root directory holds at most ${MAX_ROOT_ENTRIES} entries, ${entries} are needed; use FAT32`,
      );
    }
    rootSectors = Math.ceil((entries * 32) / SECTOR_SIZE);
    if (align) rootSectors = Math.min(alignUp(rootSectors, spc), (MAX_ROOT_ENTRIES * 32) / SECTOR_SIZE);
  }
  return { reservedSectors, rootSectors, rootEntries: (rootSectors * SECTOR_SIZE) / 32 };
}

/** The layout of a `totalSectors` volume with this type and cluster size, or undefined when the count is out of range. */
export function layout(
  totalSectors: number,
  type: FatType,
  spc: number,
  opts: GeometryOptions = {},
): Geometry | undefined {
  const align = totalSectors > ALIGN_ABOVE_SECTORS;
  const { reservedSectors, rootSectors, rootEntries } = fixedRegions(type, spc, align, opts);
  if (type === 32 && reservedSectors < 9) return undefined; // boot, FSInfo, backups at 6–7
  const data0 = totalSectors - reservedSectors - rootSectors;
  if (data0 <= 0) return undefined;
  const fatFor = (c: number) => (align ? alignUp(fatSectorsFor(type, c), spc) : fatSectorsFor(type, c));
  const clustersFor = (f: number) => Math.floor((data0 - NUM_FATS * f) / spc);
  // Start from an over-sized FAT and shrink it while the clusters it leaves still fit in it.
  let fatSectors = fatFor(Math.floor(data0 / spc));
  for (;;) {
    const next = fatFor(Math.max(0, clustersFor(fatSectors)));
    if (next >= fatSectors) break;
    fatSectors = next;
  }
  const fatCapacity = Math.floor((fatSectors * SECTOR_SIZE * 8) / (type === 12 ? 12 : type)) - 2;
  const clusters = Math.min(clustersFor(fatSectors), fatCapacity, MAX_CLUSTERS[type]);
  if (clusters < MIN_CLUSTERS[type] || clustersFor(fatSectors) > MAX_CLUSTERS[type]) return undefined;
  const firstDataSector = reservedSectors + NUM_FATS * fatSectors + rootSectors;
  return {
    fatType: type,
    // Readers count clusters from the total: trim it when the FAT cannot describe every cluster.
    totalSectors: Math.min(totalSectors, firstDataSector + (clusters + 1) * spc - 1),
    sectorsPerCluster: spc,
    clusterSize: spc * SECTOR_SIZE,
    reservedSectors,
    fatSectors,
    rootEntries: type === 32 ? 0 : rootEntries,
    rootSectors,
    firstDataSector,
    clusters,
  };
}

/** mkfs.fat's FAT32 cluster size for a volume size (Microsoft's table): sectors per cluster. */
function defaultSpc32(bytes: number): number {
  const mib = bytes / 2 ** 20;
  if (mib > 32 * 1024) return 64;
  if (mib > 16 * 1024) return 32;
  if (mib > 8 * 1024) return 16;
  if (mib > 260) return 8;
  return 1;
}

function spcFromOption(clusterSize: number | undefined): number | undefined {
  if (clusterSize === undefined) return undefined;
  const spc = clusterSize / SECTOR_SIZE;
  if (!Number.isInteger(spc) || spc < 1 || spc > 128 || (spc & (spc - 1)) !== 0) {
    throw new InvalidArgumentError(`cluster size ${clusterSize} must be a power of two from 512 to 65536 bytes`);
  }
  return spc;
}

/** Cluster sizes to try for a type, in preference order: the default, then smaller, then larger. */
function spcCandidates(type: FatType, bytes: number): number[] {
  const start = type === 32 ? defaultSpc32(bytes) : 4;
  const out = [start];
  for (let s = start / 2; s >= 1; s /= 2) out.push(s);
  for (let s = start * 2; s <= MAX_SPC; s *= 2) out.push(s);
  return out;
}

/** Bytes of the smallest and largest volume of this type (and cluster size, when given). */
export function sizeRange(type: FatType, opts: GeometryOptions = {}): { min: number; max: number } {
  const given = spcFromOption(opts.clusterSize);
  const spcs = given ? [given] : [1, 2, 4, 8, 16, 32, MAX_SPC];
  const bytesFor = (spc: number, clusters: number) => {
    const align = true;
    const { reservedSectors, rootSectors } = fixedRegions(type, spc, align, opts);
    const fat = alignUp(fatSectorsFor(type, clusters), spc);
    return (reservedSectors + rootSectors + NUM_FATS * fat + clusters * spc) * SECTOR_SIZE;
  };
  const min = bytesFor(spcs[0] as number, MIN_CLUSTERS[type]);
  const max = Math.min(bytesFor(spcs[spcs.length - 1] as number, MAX_CLUSTERS[type]), MAX_SECTORS * SECTOR_SIZE);
  return { min, max };
}

/**
 * The geometry mkfs.fat would choose for `bytes`: FAT32 from 512 MiB up (cluster size from
 * Microsoft's table), else FAT12 while it fits and FAT16 after, doubling the cluster size from
 * 2 KiB as needed. A forced type or cluster size is honoured or refused with the allowed range.
 */
export function chooseGeometry(bytes: number, opts: GeometryOptions = {}): Geometry {
  const totalSectors = Math.floor(bytes / SECTOR_SIZE);
  if (totalSectors > MAX_SECTORS) {
    throw new InvalidArgumentError(
      `a FAT volume holds at most ${formatSize(MAX_SECTORS * SECTOR_SIZE)}, got ${formatSize(bytes)}`,
    );
  }
  const given = spcFromOption(opts.clusterSize);
  const type = opts.fatType;
  if (type === undefined && bytes >= 512 * 2 ** 20) {
    return chooseGeometry(bytes, { ...opts, fatType: 32 });
  }
  if (type === undefined) {
    const spcs = given ? [given] : [4, 8, 16, 32, MAX_SPC];
    for (const spc of spcs) {
      const g = layout(totalSectors, 12, spc, opts) ?? layout(totalSectors, 16, spc, opts);
      if (g) return g;
    }
    const r = sizeRange(12, opts);
    throw new InvalidArgumentError(
      `${formatSize(bytes)} is too small for a FAT volume; the minimum is ${formatSize(r.min)}`,
    );
  }
  if (type !== 12 && type !== 16 && type !== 32) throw new InvalidArgumentError(`FAT type must be 12, 16 or 32`);
  for (const spc of given ? [given] : spcCandidates(type, bytes)) {
    const g = layout(totalSectors, type, spc, opts);
    if (g) return g;
  }
  const r = sizeRange(type, opts);
  const cs = given ? ` with ${opts.clusterSize}-byte clusters` : '';
  throw new InvalidArgumentError(
    `FAT${type}${cs} needs a volume from ${formatSize(r.min)} to ${formatSize(r.max)}; got ${formatSize(bytes)}`,
  );
}
