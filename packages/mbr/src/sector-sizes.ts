/**
 * Logical sector sizes an MBR may count in (512 on almost every disk, 4096 on 4Kn disks). Its own
 * entry (`@fstool/mbr/sector-sizes`) so the CLI's option help needs no partition table code.
 */
export const SECTOR_SIZES: readonly number[] = [512, 1024, 2048, 4096];
