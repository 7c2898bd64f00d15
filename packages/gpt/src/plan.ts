/** From sizes and types to a GPT spec, inside the usable range a GPT leaves on this disk. */
import { type LayoutPartition, type LayoutRequest, type PlannedPartition, planLayout } from '@fstool/mbr';
import type { GptAttributeName } from './attributes.js';
import { type GptPartitionSpec, type GptSpec, gptUsableRange } from './table.js';

export interface GptLayoutPartition extends LayoutPartition {
  type: string;
  name?: string;
  guid?: string;
  attributes?: bigint | ReadonlyArray<GptAttributeName | number>;
}

export interface GptLayoutRequest extends Omit<LayoutRequest, 'partitions' | 'firstUsableLba' | 'lastUsableLba'> {
  seed?: string;
  diskGuid?: string;
  entryCount?: number;
  partitions: GptLayoutPartition[];
}

export interface GptPlan {
  spec: GptSpec;
  /** In request order; `index` is the GPT partition number. */
  partitions: PlannedPartition[];
}

export function planGpt(req: GptLayoutRequest): GptPlan {
  const ss = req.sectorSize ?? 512;
  const planned = planLayout({ ...req, ...gptUsableRange(req.diskSize, ss, req.entryCount) });
  const spec: GptSpec = {
    sectorSize: ss,
    partitions: req.partitions.map((p, i): GptPartitionSpec => {
      const at = planned[i] as PlannedPartition;
      const out: GptPartitionSpec = { index: i + 1, type: p.type, firstLba: at.firstLba, sectors: at.sectors };
      if (p.name !== undefined) out.name = p.name;
      if (p.guid !== undefined) out.guid = p.guid;
      if (p.attributes !== undefined) out.attributes = p.attributes;
      return out;
    }),
  };
  if (req.seed !== undefined) spec.seed = req.seed;
  if (req.diskGuid !== undefined) spec.diskGuid = req.diskGuid;
  if (req.entryCount !== undefined) spec.entryCount = req.entryCount;
  return { spec, partitions: planned };
}
