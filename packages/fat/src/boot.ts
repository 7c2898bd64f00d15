/**
 * The boot region: encoding it for a new volume, and decoding and checking the geometry of an
 * existing one (any sector size, as mkfs.fat -S makes).
 */
import { CorruptError } from '@fstool/blockdev';
import {
  BOOT_CODE_16,
  BOOT_CODE_32,
  BOOT_SIGNATURE,
  bpb,
  bpb16,
  bpb32,
  EXT_BOOT_SIGNATURE,
  FSINFO_LEAD,
  FSINFO_STRUCT,
  FSINFO_TRAIL,
  fsInfo,
  MEDIA_FIXED,
  SECTOR_SIZE,
} from './format/boot-sector.js';
import { type FatType, type Geometry, MAX_CLUSTERS, NUM_FATS } from './geometry.js';

/** FAT32: where FSInfo and the boot-sector backup live (fatgen103's recommended values). */
export const FSINFO_SECTOR = 1;
export const BACKUP_BOOT_SECTOR = 6;
const NO_NAME = 'NO NAME    ';
/** Not bootable: `int 18h` (ask the BIOS for the next boot device), then halt in a loop. */
const BOOT_CODE = [0xcd, 0x18, 0xf4, 0xeb, 0xfd];

const ascii = (s: string, n: number) => {
  const out = new Uint8Array(n).fill(0x20);
  for (let i = 0; i < Math.min(n, s.length); i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
};

export interface BootParams {
  geometry: Geometry;
  volumeId: number;
  /** 11-character padded label, or undefined for "NO NAME". */
  label?: string;
  oemName: string;
  hiddenSectors: number;
}

/** The reserved sectors of a new volume (boot sector; on FAT32 also FSInfo and their backups). */
export function encodeBootRegion(p: BootParams, freeClusters: number, nextFree: number): Uint8Array {
  const g = p.geometry;
  const out = new Uint8Array(g.reservedSectors * SECTOR_SIZE);
  const big = g.totalSectors * SECTOR_SIZE >= 512 * 2 ** 20;
  const fat32 = g.fatType === 32;
  bpb.encode(
    {
      jump: Uint8Array.of(0xeb, (fat32 ? BOOT_CODE_32 : BOOT_CODE_16) - 2, 0x90),
      oemName: ascii(p.oemName, 8),
      bytesPerSector: SECTOR_SIZE,
      sectorsPerCluster: g.sectorsPerCluster,
      reservedSectors: g.reservedSectors,
      numFats: NUM_FATS,
      rootEntries: g.rootEntries,
      totalSectors16: !fat32 && g.totalSectors < 0x10000 ? g.totalSectors : 0,
      media: MEDIA_FIXED,
      fatSectors16: fat32 ? 0 : g.fatSectors,
      sectorsPerTrack: big ? 63 : 32,
      heads: big ? 255 : 64,
      hiddenSectors: p.hiddenSectors,
      totalSectors32: !fat32 && g.totalSectors < 0x10000 ? 0 : g.totalSectors,
      signature: BOOT_SIGNATURE,
    },
    out,
  );
  const ext = {
    driveNumber: 0x80,
    bootSignature: EXT_BOOT_SIGNATURE,
    volumeId: p.volumeId >>> 0,
    volumeLabel: ascii(p.label ?? NO_NAME, 11),
    fsType: ascii(`FAT${g.fatType}`, 8),
  };
  if (fat32) {
    bpb32.encode(
      {
        ...ext,
        fatSectors32: g.fatSectors,
        extFlags: 0,
        fsVersion: 0,
        rootCluster: 2,
        fsInfoSector: FSINFO_SECTOR,
        backupBootSector: BACKUP_BOOT_SECTOR,
      },
      out,
    );
    out.set(BOOT_CODE, BOOT_CODE_32);
    const info = out.subarray(FSINFO_SECTOR * SECTOR_SIZE, (FSINFO_SECTOR + 1) * SECTOR_SIZE);
    encodeFsInfo(info, freeClusters, nextFree);
    out.copyWithin(BACKUP_BOOT_SECTOR * SECTOR_SIZE, 0, 2 * SECTOR_SIZE);
  } else {
    bpb16.encode(ext, out);
    out.set(BOOT_CODE, BOOT_CODE_16);
  }
  return out;
}

export function encodeFsInfo(sector: Uint8Array, freeClusters: number, nextFree: number): void {
  fsInfo.encode(
    {
      leadSignature: FSINFO_LEAD,
      structSignature: FSINFO_STRUCT,
      freeCount: freeClusters,
      nextFree,
      trailSignature: FSINFO_TRAIL,
    },
    sector,
  );
}

/** The layout of an existing volume, from its boot sector. */
export interface Volume {
  fatType: FatType;
  totalSectors: number;
  sectorSize: number;
  clusterSize: number;
  reservedSectors: number;
  numFats: number;
  fatSectors: number;
  /** Byte offsets of the regions. */
  fatOffset: number;
  rootOffset: number;
  rootEntries: number;
  dataOffset: number;
  clusters: number;
  /** FAT32: the root directory's first cluster. */
  rootCluster: number;
  fsInfoSector: number;
  backupBootSector: number;
  /** FAT32 extFlags bit 7: only FAT number (extFlags & 15) is active. */
  activeFat?: number;
  volumeId: number;
  label: string;
  oemName: string;
  media: number;
}

const text = (b: Uint8Array) => String.fromCharCode(...b).replace(/[\s\0]+$/, '');
const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Decodes and sanity-checks a boot sector; throws CorruptError naming the field. */
export function decodeBootSector(sector: Uint8Array, deviceSize: number): Volume {
  const b = bpb.decode(sector);
  const bad = (what: string) => new CorruptError(`FAT boot sector: ${what}`);
  if (b.signature !== BOOT_SIGNATURE) throw bad(`signature 0x${b.signature.toString(16)} is not 0xaa55`);
  if (![512, 1024, 2048, 4096].includes(b.bytesPerSector)) throw bad(`bytes per sector ${b.bytesPerSector}`);
  if (!pow2(b.sectorsPerCluster)) throw bad(`sectors per cluster ${b.sectorsPerCluster}`);
  if (b.reservedSectors === 0) throw bad('no reserved sectors');
  if (b.numFats < 1 || b.numFats > 4) throw bad(`${b.numFats} FATs`);
  if (b.media !== 0xf0 && b.media < 0xf8) throw bad(`media byte 0x${b.media.toString(16)} is not 0xf0 or 0xf8–0xff`);
  const ss = b.bytesPerSector;
  const fat32Bpb = bpb32.decode(sector);
  const fatSectors = b.fatSectors16 || fat32Bpb.fatSectors32;
  const totalSectors = b.totalSectors16 || b.totalSectors32;
  if (fatSectors === 0) throw bad('FAT size is 0');
  const rootSectors = Math.ceil((b.rootEntries * 32) / ss);
  const firstData = b.reservedSectors + b.numFats * fatSectors + rootSectors;
  if (totalSectors <= firstData) throw bad(`${totalSectors} sectors leave no data area after sector ${firstData}`);
  if (totalSectors * ss > deviceSize) {
    throw bad(`volume of ${totalSectors * ss} bytes is larger than the device (${deviceSize} bytes)`);
  }
  const clusters = Math.floor((totalSectors - firstData) / b.sectorsPerCluster);
  // As Linux and dosfstools decide: FAT32 when the 16-bit FAT size is 0 and the FAT32 extended
  // BPB gives it (mkfs.fat -F 32 makes FAT32 with fewer than 65525 clusters on small volumes),
  // else FAT12 or FAT16 by the cluster count.
  const fat32 = b.fatSectors16 === 0;
  const fatType: FatType = fat32 ? 32 : clusters < 4085 ? 12 : 16;
  if (!fat32 && clusters >= 65525) throw bad(`${clusters} clusters are too many for FAT16`);
  if (fat32 && b.rootEntries !== 0) throw bad(`FAT32 (16-bit FAT size 0) with a ${b.rootEntries}-entry root directory`);
  if (!fat32 && b.rootEntries === 0)
    throw bad(`${clusters} clusters mean FAT${fatType}, but there is no root directory`);
  if (clusters > MAX_CLUSTERS[32]) throw bad(`${clusters} clusters is too many`);
  const bitsPerEntry = fatType === 12 ? 12 : fatType;
  if (Math.floor((fatSectors * ss * 8) / bitsPerEntry) < clusters + 2) {
    throw bad(`FAT of ${fatSectors} sectors is too small for ${clusters} clusters`);
  }
  const ext = fatType === 32 ? fat32Bpb : bpb16.decode(sector);
  const hasExt = ext.bootSignature === EXT_BOOT_SIGNATURE;
  const vol: Volume = {
    fatType,
    totalSectors,
    sectorSize: ss,
    clusterSize: ss * b.sectorsPerCluster,
    reservedSectors: b.reservedSectors,
    numFats: b.numFats,
    fatSectors,
    fatOffset: b.reservedSectors * ss,
    rootOffset: (b.reservedSectors + b.numFats * fatSectors) * ss,
    rootEntries: b.rootEntries,
    dataOffset: firstData * ss,
    clusters,
    rootCluster: fatType === 32 ? fat32Bpb.rootCluster : 0,
    fsInfoSector: fatType === 32 ? fat32Bpb.fsInfoSector : 0,
    backupBootSector: fatType === 32 ? fat32Bpb.backupBootSector : 0,
    volumeId: hasExt ? ext.volumeId : 0,
    label: hasExt ? text(ext.volumeLabel) : '',
    oemName: text(b.oemName),
    media: b.media,
  };
  if (fatType === 32 && (vol.rootCluster < 2 || vol.rootCluster > clusters + 1)) {
    throw bad(`root cluster ${vol.rootCluster} is outside clusters 2–${clusters + 1}`);
  }
  if (fatType === 32 && fat32Bpb.extFlags & 0x80) vol.activeFat = fat32Bpb.extFlags & 15;
  return vol;
}
