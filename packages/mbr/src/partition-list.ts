import type { PartitionInfo } from './partition-info.js';
import type { MbrTable } from './table.js';
import { mbrTypeName } from './types.js';

/** The table's partitions in the shape shared with @fstool/gpt. */
export function listMbrPartitions(table: MbrTable): PartitionInfo[] {
  return table.partitions.map((p) => ({
    index: p.index,
    start: p.firstLba * table.sectorSize,
    size: p.sectors * table.sectorSize,
    type: mbrTypeName(p.typeId),
    typeId: p.typeId,
    kind: p.kind,
    bootable: p.bootable,
  }));
}
