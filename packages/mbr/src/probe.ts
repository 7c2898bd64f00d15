/**
 * Telling a partitioned disk from a bare filesystem. FAT and NTFS boot sectors end with 0x55AA
 * too, so the signature alone proves nothing: the entries must make sense as partitions and the
 * sector must not carry a filesystem's own marks.
 */
import { decodeMbr } from './codec.js';

const ascii = (buf: Uint8Array, at: number, len: number) => String.fromCharCode(...buf.subarray(at, at + len));

/** True when sector 0 carries a FAT, NTFS or exFAT boot sector's identifying fields. */
export function looksLikeBootSector(sector0: Uint8Array): boolean {
  const jump = sector0[0] === 0xeb || sector0[0] === 0xe9;
  const oem = ascii(sector0, 3, 8);
  if (oem === 'NTFS    ' || oem === 'EXFAT   ') return true;
  const fatTag = ascii(sector0, 0x36, 5) === 'FAT12' || ascii(sector0, 0x36, 5) === 'FAT16';
  const fat32Tag = ascii(sector0, 0x52, 5) === 'FAT32';
  const bps = sector0[11]! | (sector0[12]! << 8);
  return jump && (fatTag || fat32Tag || (bps >= 512 && bps <= 4096 && (bps & (bps - 1)) === 0));
}

/**
 * True when sector 0 holds an MBR whose entries are plausible for a disk of `diskSize` bytes:
 * signature present, status bytes 0x00/0x80, at least one partition, each inside the disk, no
 * two primaries overlapping, and no filesystem boot-sector marks. With `truncated`, partitions may
 * run past the end (an image cut short) as long as the first one starts inside the disk.
 */
export function looksLikeMbr(
  sector0: Uint8Array,
  diskSize: number,
  sectorSize = 512,
  opts: { truncated?: boolean } = {},
): boolean {
  let decoded: ReturnType<typeof decodeMbr>;
  try {
    decoded = decodeMbr(sector0);
  } catch {
    return false;
  }
  if (looksLikeBootSector(sector0)) return false;
  for (let slot = 0; slot < 4; slot++) {
    const status = sector0[446 + 16 * slot];
    if (status !== 0 && status !== 0x80) return false;
  }
  const parts = decoded.entries;
  if (parts.length === 0) return false;
  const diskSectors = Math.floor(diskSize / sectorSize);
  const gpt = parts.some((p) => p.typeId === 0xee);
  for (const p of parts) {
    // A protective 0xEE entry may claim the 32-bit maximum on a smaller disk.
    const end = p.firstLba + p.sectors;
    const pastEnd = end > diskSectors && !(gpt && p.typeId === 0xee) && !opts.truncated;
    if (p.firstLba === 0 || p.sectors === 0 || pastEnd) return false;
  }
  const sorted = [...parts].sort((a, b) => a.firstLba - b.firstLba);
  if ((sorted[0]?.firstLba ?? 0) >= diskSectors) return false;
  return sorted.every((p, i) => {
    const prev = sorted[i - 1];
    return !prev || prev.firstLba + prev.sectors <= p.firstLba;
  });
}
