import type { FatType } from './geometry.js';

/** Options of the FAT driver's `build` and `minimumSize`. */
export interface FatOptions {
  /** Force FAT12, FAT16 or FAT32; default: chosen from the size as mkfs.fat does (or from the type name asked for). */
  fatType?: FatType;
  /** Bytes per cluster (512 … 65536, a power of two); default as mkfs.fat for the size. */
  clusterSize?: number;
  /** Volume label (up to 11 ASCII characters, stored upper case); none by default ("NO NAME"). */
  label?: string;
  /** 32-bit volume serial number; default 0x46535431, fixed so that builds are reproducible. */
  volumeId?: number;
  /** The 8-byte OEM name in the boot sector; default "MSWIN4.1" (the most compatible value). */
  oemName?: string;
  /** Zone FAT's local timestamps are written in: 'utc' (default) or minutes east of UTC. */
  timeZone?: 'utc' | number;
  /** Fail on entries FAT cannot hold (symlinks, devices, fifos, sockets, extra hard links) instead of skipping them. */
  strict?: boolean;
  /** Reserved sectors before the first FAT; default 1 (FAT12/16) or 32 (FAT32), rounded up to a cluster. */
  reservedSectors?: number;
  /** Sectors before this volume on its disk (the partition's start), for the boot sector. Default 0. */
  hiddenSectors?: number;
  /** Set the hidden attribute on names starting with '.'. Default false. */
  hideDotFiles?: boolean;
  /** The device already reads as zeros (a new sparse file): all-zero stretches are not written at all. */
  zeroed?: boolean;
  /** Extra free space `minimumSize` adds, as a fraction of the data (0.1 = 10%). Default 0. */
  headroom?: number;
}

export const DEFAULT_VOLUME_ID = 0x46535431;
export const DEFAULT_OEM_NAME = 'MSWIN4.1';

/** Minutes east of UTC that FAT times are written and read in. */
export function zoneOffset(zone: FatOptions['timeZone']): number {
  return zone === undefined || zone === 'utc' ? 0 : zone;
}
