/** The GPT table model, and turning a caller's spec into a validated table. */
import { formatSize, InvalidArgumentError } from '@fstool/blockdev';
import { PartitionTableError } from '@fstool/mbr';
import { attributesFrom, type GptAttributeName } from './attributes.js';
import { arraySectors, MAX_ENTRY_ARRAY_BYTES, NAME_UNITS } from './format/entry.js';
import { isGuid, NIL_GUID } from './guid.js';
import { deriveGuid, randomGuid } from './new-guid.js';
import { resolveGptType } from './types.js';

export interface GptPartition {
  /** 1-based slot in the entry array (what sgdisk calls the partition number). */
  index: number;
  /** Upper-case type GUID. */
  typeGuid: string;
  /** Upper-case unique partition GUID. */
  guid: string;
  firstLba: number;
  sectors: number;
  attributes: bigint;
  name: string;
}

export interface GptTable {
  sectorSize: number;
  diskGuid: string;
  firstUsableLba: number;
  lastUsableLba: number;
  entryCount: number;
  entrySize: number;
  /** Sorted by index. */
  partitions: GptPartition[];
}

export interface GptPartitionSpec {
  /** Entry slot, 1-based; default: the next free one. */
  index?: number;
  /** Alias (`esp`, `linux`, …) or a type GUID. MBR bytes are rejected. */
  type: string | number;
  /** Default: derived from the seed, or random without one. */
  guid?: string;
  name?: string;
  firstLba: number;
  sectors: number;
  /** A 64-bit value, or names / bit numbers (`['legacy-bios-bootable', 60]`). */
  attributes?: bigint | ReadonlyArray<GptAttributeName | number>;
}

export interface GptSpec {
  /** 512 (default) or 4096. */
  sectorSize?: number;
  diskGuid?: string;
  /** Derive every GUID not given from this seed (reproducible); without it they are random. */
  seed?: string;
  /** Entries in the array (default 128). */
  entryCount?: number;
  partitions: GptPartitionSpec[];
}

export const DEFAULT_ENTRY_COUNT = 128;
/**
 * First and last usable LBA of a disk: after the protective MBR, primary header and entry array;
 * before the backup entry array and header. Pass these to `planLayout`.
 */
export function gptUsableRange(
  diskSize: number,
  sectorSize = 512,
  entryCount = DEFAULT_ENTRY_COUNT,
  entrySize = 128,
): { firstUsableLba: number; lastUsableLba: number } {
  const arr = arraySectors(entryCount, entrySize, sectorSize);
  const diskSectors = Math.floor(diskSize / sectorSize);
  const out = { firstUsableLba: 2 + arr, lastUsableLba: diskSectors - 2 - arr };
  if (out.lastUsableLba < out.firstUsableLba) {
    throw new InvalidArgumentError(`a disk of ${formatSize(diskSize)} is too small for a GPT`);
  }
  return out;
}

/** Builds and validates a table for a disk of `diskSize` bytes. */
export function buildGpt(spec: GptSpec, diskSize: number): GptTable {
  const sectorSize = spec.sectorSize ?? 512;
  if (sectorSize !== 512 && sectorSize !== 4096) {
    throw new InvalidArgumentError(`GPT sector size ${sectorSize} is not 512 or 4096`);
  }
  const entryCount = spec.entryCount ?? DEFAULT_ENTRY_COUNT;
  // UEFI reserves at least 16 KiB for the array: fewer than 128 entries violates the spec.
  if (!Number.isInteger(entryCount) || entryCount < 128 || entryCount * 128 > MAX_ENTRY_ARRAY_BYTES) {
    throw new InvalidArgumentError(`GPT entry count ${entryCount} is not 128-${MAX_ENTRY_ARRAY_BYTES / 128}`);
  }
  const guid = (given: string | undefined, ...labels: string[]) => {
    if (given !== undefined) {
      if (!isGuid(given)) throw new InvalidArgumentError(`'${given}' is not a GUID`);
      return given.toUpperCase();
    }
    return spec.seed !== undefined ? deriveGuid(spec.seed, 'gpt', ...labels) : randomGuid();
  };
  const used = new Set(spec.partitions.flatMap((p) => (p.index === undefined ? [] : [p.index])));
  let next = 1;
  const partitions = spec.partitions.map((p): GptPartition => {
    let index = p.index;
    if (index === undefined) {
      while (used.has(next)) next++;
      index = next;
      used.add(index);
    }
    return {
      index,
      typeGuid: resolveGptType(p.type),
      guid: guid(p.guid, 'partition', String(index)),
      firstLba: p.firstLba,
      sectors: p.sectors,
      attributes: attributesFrom(p.attributes ?? 0n),
      name: p.name ?? '',
    };
  });
  const table: GptTable = {
    sectorSize,
    diskGuid: guid(spec.diskGuid, 'disk'),
    ...gptUsableRange(diskSize, sectorSize, entryCount),
    entryCount,
    entrySize: 128,
    partitions: partitions.sort((a, b) => a.index - b.index),
  };
  validateGpt(table);
  return table;
}

/** Checks slots, names, GUIDs, the usable range and overlaps. Throws PartitionTableError. */
export function validateGpt(table: GptTable): void {
  const seenGuids = new Map<string, string>([[table.diskGuid, 'the disk']]);
  const seenIndex = new Set<number>();
  for (const p of table.partitions) {
    const what = `GPT partition ${p.index}${p.name ? ` ('${p.name}')` : ''}`;
    if (!Number.isInteger(p.index) || p.index < 1 || p.index > table.entryCount) {
      throw new PartitionTableError(`${what}: number is not 1-${table.entryCount}`);
    }
    if (seenIndex.has(p.index)) throw new PartitionTableError(`two partitions use GPT entry ${p.index}`);
    seenIndex.add(p.index);
    if (p.name.length > NAME_UNITS) {
      throw new PartitionTableError(`${what}: name is ${p.name.length} UTF-16 units long, at most ${NAME_UNITS} fit`);
    }
    if (p.typeGuid === NIL_GUID) throw new PartitionTableError(`${what}: the nil type GUID marks an unused entry`);
    const other = seenGuids.get(p.guid);
    if (other) throw new PartitionTableError(`${what}: unique GUID ${p.guid} is also used by ${other}`);
    if (p.guid === NIL_GUID) throw new PartitionTableError(`${what}: the unique GUID must not be nil`);
    seenGuids.set(p.guid, `partition ${p.index}`);
    if (!Number.isSafeInteger(p.firstLba) || !Number.isSafeInteger(p.sectors) || p.sectors < 1) {
      throw new PartitionTableError(`${what}: start ${p.firstLba} / length ${p.sectors} sectors are not valid`);
    }
    const end = p.firstLba + p.sectors - 1;
    if (p.firstLba < table.firstUsableLba) {
      throw new PartitionTableError(
        `${what} starts at sector ${p.firstLba}, before the first usable sector ${table.firstUsableLba}`,
      );
    }
    if (end > table.lastUsableLba) {
      throw new PartitionTableError(
        `${what} ends ${formatSize((end - table.lastUsableLba) * table.sectorSize)} past the last usable sector ${table.lastUsableLba}`,
      );
    }
  }
  const sorted = [...table.partitions].sort((a, b) => a.firstLba - b.firstLba);
  sorted.forEach((p, i) => {
    const prev = sorted[i - 1];
    if (prev && prev.firstLba + prev.sectors > p.firstLba) {
      throw new PartitionTableError(
        `GPT partitions ${prev.index} and ${p.index} overlap by ${prev.firstLba + prev.sectors - p.firstLba} sector(s) from sector ${p.firstLba}`,
      );
    }
  });
}
