/** The MBR table model, and turning a caller's spec into a validated table. */
import { formatSize } from '@fstool/blockdev';
import { PartitionTableError } from './errors.js';
import { SECTOR_SIZES } from './sector-sizes.js';
import { EXTENDED_TYPES, resolveMbrType } from './types.js';

export type MbrKind = 'primary' | 'extended' | 'logical';

export interface MbrPartition {
  /** 1–4: the primary slot; 5 and up: logicals in chain order. */
  index: number;
  kind: MbrKind;
  typeId: number;
  bootable: boolean;
  firstLba: number;
  sectors: number;
}

export interface MbrTable {
  /** Logical sector size the LBAs count in (512 for almost every disk, 4096 on 4Kn disks). */
  sectorSize: number;
  diskSignature: number;
  /** Sorted by index. */
  partitions: MbrPartition[];
  /** The 440 bytes of boot code before the disk signature, when there is any to keep. */
  bootCode?: Uint8Array;
}

export interface MbrPartitionSpec {
  /** Primary slot 1–4; default: the next free slot. Ignored for logicals (numbered by start). */
  index?: number;
  logical?: boolean;
  /** Alias (`linux`, `fat32`, `extended`, …), `0xNN`, or the byte. */
  type: string | number;
  bootable?: boolean;
  firstLba: number;
  sectors: number;
}

export interface MbrSpec {
  sectorSize?: number;
  /** Default 0 (no randomness unless asked for). */
  diskSignature?: number;
  bootCode?: Uint8Array;
  partitions: MbrPartitionSpec[];
}

/** LBAs and sector counts are 32-bit: nothing may end past 2^32 sectors (2 TiB at 512 bytes). */
const MAX_LBA_END = 2 ** 32;

const label = (p: MbrPartition) => `${p.kind} partition ${p.index}`;

/** Builds and validates a table (throws PartitionTableError / PartitionTypeError). */
export function buildMbr(spec: MbrSpec, diskSize: number): MbrTable {
  const sectorSize = spec.sectorSize ?? 512;
  const signature = spec.diskSignature ?? 0;
  if (!Number.isInteger(signature) || signature < 0 || signature > 0xffffffff) {
    throw new PartitionTableError(`MBR disk signature ${signature} is not a 32-bit value`);
  }
  const top: MbrPartition[] = [];
  const logicals: MbrPartition[] = [];
  const used = new Set<number>();
  for (const p of spec.partitions.filter((s) => !s.logical && s.index !== undefined)) used.add(p.index ?? 0);
  let nextSlot = 1;
  for (const s of spec.partitions) {
    const typeId = resolveMbrType(s.type);
    const base = { typeId, bootable: s.bootable ?? false, firstLba: s.firstLba, sectors: s.sectors };
    if (s.logical) {
      if (EXTENDED_TYPES.has(typeId)) throw new PartitionTableError('a logical partition cannot be an extended one');
      logicals.push({ ...base, index: 0, kind: 'logical' });
      continue;
    }
    let index = s.index;
    if (index === undefined) {
      while (used.has(nextSlot)) nextSlot++;
      index = nextSlot;
      used.add(index);
    }
    if (!Number.isInteger(index) || index < 1 || index > 4) {
      throw new PartitionTableError(
        index > 4 && s.index === undefined
          ? `more than 4 primary partitions (${spec.partitions.filter((x) => !x.logical).length}); use an extended partition with logicals`
          : `primary partition index ${index} is not 1-4`,
      );
    }
    if (top.some((p) => p.index === index)) throw new PartitionTableError(`two partitions use primary slot ${index}`);
    top.push({ ...base, index, kind: EXTENDED_TYPES.has(typeId) ? 'extended' : 'primary' });
  }
  logicals.sort((a, b) => a.firstLba - b.firstLba);
  logicals.forEach((p, i) => {
    p.index = 5 + i;
  });
  const table: MbrTable = {
    sectorSize,
    diskSignature: signature,
    partitions: [...top.sort((a, b) => a.index - b.index), ...logicals],
  };
  if (spec.bootCode) table.bootCode = spec.bootCode;
  validateMbr(table, diskSize);
  return table;
}

/**
 * Checks a table against a disk of `diskSize` bytes: sizes, ends, overlaps, one extended
 * container holding every logical with room for each logical's EBR.
 */
export function validateMbr(table: MbrTable, diskSize: number): void {
  const ss = table.sectorSize;
  if (!SECTOR_SIZES.includes(ss)) {
    throw new PartitionTableError(`sector size ${ss} is not 512, 1024, 2048 or 4096`);
  }
  if (table.bootCode && table.bootCode.length !== 440) {
    throw new PartitionTableError(`MBR boot code must be 440 bytes, got ${table.bootCode.length}`);
  }
  const diskSectors = Math.floor(diskSize / ss);
  for (const p of table.partitions) {
    if (!Number.isSafeInteger(p.firstLba) || !Number.isSafeInteger(p.sectors) || p.firstLba < 1 || p.sectors < 1) {
      throw new PartitionTableError(
        `${label(p)}: start ${p.firstLba} / length ${p.sectors} sectors must be whole, start at 1 or later, length at least 1`,
      );
    }
    if (p.typeId === 0) throw new PartitionTableError(`${label(p)}: type 0x00 marks an empty slot`);
    const end = p.firstLba + p.sectors;
    if (end > diskSectors) {
      throw new PartitionTableError(
        `${label(p)} ends ${formatSize((end - diskSectors) * ss)} past the end of the disk (${formatSize(diskSize)})`,
      );
    }
    if (end > MAX_LBA_END) {
      throw new PartitionTableError(
        `${label(p)} ends at sector ${end}, past the 2^32-sector limit of MBR (${formatSize(MAX_LBA_END * ss)}); use GPT`,
      );
    }
  }
  const top = table.partitions.filter((p) => p.kind !== 'logical');
  const logicals = table.partitions.filter((p) => p.kind === 'logical');
  if (top.length > 4) throw new PartitionTableError(`more than 4 primary partitions (${top.length})`);
  const extended = top.filter((p) => p.kind === 'extended');
  if (extended.length > 1) throw new PartitionTableError(`more than one extended partition (${extended.length})`);
  checkOverlaps(top.map((p) => [label(p), p.firstLba, p.firstLba + p.sectors]));
  const ext = extended[0];
  if (logicals.length === 0) return;
  if (!ext) {
    throw new PartitionTableError(
      `${logicals.length} logical partition(s) but no extended partition to hold them (add one of type 'extended')`,
    );
  }
  const extEnd = ext.firstLba + ext.sectors;
  const spans: Array<[string, number, number]> = [];
  ebrPositions(table).forEach((ebr, i) => {
    const p = logicals[i] as MbrPartition;
    if (ebr >= p.firstLba) {
      throw new PartitionTableError(
        `${label(p)} at sector ${p.firstLba} leaves no sector before it for its extended boot record (needs one at or after sector ${ebr})`,
      );
    }
    if (p.firstLba + p.sectors > extEnd) {
      throw new PartitionTableError(
        `${label(p)} ends ${formatSize((p.firstLba + p.sectors - extEnd) * ss)} past its extended partition ${ext.index}`,
      );
    }
    spans.push([`${label(p)}'s boot record`, ebr, ebr + 1], [label(p), p.firstLba, p.firstLba + p.sectors]);
  });
  checkOverlaps(spans);
}

/**
 * Where each logical's Extended Boot Record goes: the first at the start of the extended partition,
 * each next one in the first sector after the previous logical (as sfdisk places them).
 */
export function ebrPositions(table: MbrTable): number[] {
  const ext = table.partitions.find((p) => p.kind === 'extended');
  const logicals = table.partitions.filter((p) => p.kind === 'logical');
  if (!ext) return [];
  return logicals.map((_, i) => {
    const prev = logicals[i - 1];
    return prev ? prev.firstLba + prev.sectors : ext.firstLba;
  });
}

function checkOverlaps(spans: Array<[string, number, number]>): void {
  const sorted = [...spans].sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < sorted.length; i++) {
    const [an, , aEnd] = sorted[i - 1] as [string, number, number];
    const [bn, bStart] = sorted[i] as [string, number, number];
    if (bStart < aEnd) {
      throw new PartitionTableError(`${an} and ${bn} overlap by ${aEnd - bStart} sector(s) from sector ${bStart}`);
    }
  }
}
