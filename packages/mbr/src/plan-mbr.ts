/**
 * From sizes and types to an MBR spec: partitions beyond the primaries become logicals inside an
 * extended container laid out as sfdisk does (container aligned, first logical one alignment
 * unit in, each further EBR in the sector after the previous logical).
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { type LayoutPartition, type LayoutRequest, type PlannedPartition, planLayout } from './layout.js';
import { buildMbr, type MbrPartitionSpec, type MbrSpec } from './table.js';

export interface MbrLayoutPartition extends LayoutPartition {
  type: string | number;
  bootable?: boolean;
  /** Put this partition in the extended container. Default: when there are more than 4, all after the 3rd. */
  logical?: boolean;
}

export interface MbrLayoutRequest extends Omit<LayoutRequest, 'partitions' | 'firstUsableLba' | 'lastUsableLba'> {
  diskSignature?: number;
  partitions: MbrLayoutPartition[];
}

export interface MbrPlan {
  spec: MbrSpec;
  /** In request order; `index` is the MBR partition number (1-4, logicals from 5). */
  partitions: PlannedPartition[];
}

export function planMbr(req: MbrLayoutRequest): MbrPlan {
  const ss = req.sectorSize ?? 512;
  const auto = !req.partitions.some((p) => p.logical) && req.partitions.length > 4;
  const logical = req.partitions.map((p, i) => p.logical ?? (auto && i >= 3));
  const firstLogical = logical.indexOf(true);
  if (firstLogical >= 0 && logical.slice(firstLogical).some((l) => !l)) {
    throw new InvalidArgumentError('MBR layout: logical partitions must come after every primary one');
  }
  const alignSectors = Math.max(1, (req.alignment ?? 2 ** 20) / ss);
  const planned = planLayout({
    ...req,
    partitions: req.partitions.map((p, i) => ({
      ...p,
      // The first logical keeps a whole alignment unit free for the container start and its EBR.
      reserveBefore: i === firstLogical ? alignSectors : logical[i] ? 1 : (p.reserveBefore ?? 0),
    })),
  });
  const parts: MbrPartitionSpec[] = req.partitions.map((p, i) => {
    const at = planned[i] as PlannedPartition;
    return {
      type: p.type,
      firstLba: at.firstLba,
      sectors: at.sectors,
      ...(p.bootable ? { bootable: true } : {}),
      ...(logical[i] ? { logical: true } : { index: i + 1 }),
    };
  });
  if (firstLogical >= 0) {
    const first = planned[firstLogical] as PlannedPartition;
    const last = planned[planned.length - 1] as PlannedPartition;
    const start = first.firstLba - alignSectors;
    parts.push({ index: firstLogical + 1, type: 'extended', firstLba: start, sectors: last.lastLba + 1 - start });
    planned.forEach((p, i) => {
      if (logical[i]) p.index = 5 + i - firstLogical;
    });
  }
  const spec: MbrSpec = { sectorSize: ss, partitions: parts };
  if (req.diskSignature !== undefined) spec.diskSignature = req.diskSignature;
  buildMbr(spec, req.diskSize); // validate now, so a bad plan fails before anything is written
  return { spec, partitions: planned };
}
