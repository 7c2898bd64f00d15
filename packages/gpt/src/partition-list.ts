import type { PartitionInfo } from '@fstool/mbr';
import { GPT_ATTRIBUTES } from './attributes.js';
import type { GptTable } from './table.js';
import { gptTypeName } from './types.js';

const LEGACY_BOOT = 1n << BigInt(GPT_ATTRIBUTES['legacy-bios-bootable']);

/** The table's partitions in the shape shared with @fstool/mbr. */
export function listGptPartitions(table: GptTable): PartitionInfo[] {
  return table.partitions.map((p) => ({
    index: p.index,
    start: p.firstLba * table.sectorSize,
    size: p.sectors * table.sectorSize,
    type: gptTypeName(p.typeGuid),
    typeId: p.typeGuid,
    name: p.name,
    bootable: (p.attributes & LEGACY_BOOT) !== 0n,
    attributes: p.attributes,
    guid: p.guid,
  }));
}
