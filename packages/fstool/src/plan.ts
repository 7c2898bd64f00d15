import { FsError, formatSize } from '@fstool/blockdev';
import type { SourceTree } from '@fstool/fs';
import { type GptPlan, planGpt } from '@fstool/gpt';
import { type MbrPlan, planMbr } from '@fstool/mbr';
import type { FilesystemSpec, ImageSpec, PartitionSpec } from '@fstool/spec';
import { type DerivedIds, driverOptions, isExtType } from './driver-options.js';
import type { AnyDriver } from './registry.js';
import { deriveU32 } from './seed.js';

/** A spec that cannot be built as asked (too small, a driver that cannot size itself, …). */
export class PlanError extends FsError {
  constructor(message: string) {
    super('PLAN', message);
  }
}

/** One filesystem to build: its spec, driver, prepared tree (replayable) and derived ids. */
export interface FsJob {
  /** Where it is in the spec, for messages: 'filesystem' or 'partitions[1] (root)'. */
  where: string;
  spec: FilesystemSpec;
  driver: AnyDriver;
  tree: SourceTree;
  ids: DerivedIds;
  createdAt?: number;
  /** The output reads as zeros where nothing is written (a fresh sparse file or qcow2). */
  zeroed: boolean;
  /** A plugin's own spec keys, checked against what it declares (camelCase). */
  pluginOptions?: Record<string, unknown>;
  /** Driver options with no spec key (command-line flags), merged over the spec's. */
  extraOptions?: Record<string, unknown>;
  /** How size messages name the size when a flag gave it (`--size`); else they name `where`. */
  sizeName?: string;
}

export interface PlannedVolume {
  job: FsJob;
  /** Partition number (0 for a bare filesystem). */
  index: number;
  start: number;
  size: number;
  options: Record<string, unknown>;
}

export interface BuildPlan {
  size: number;
  table?: { kind: 'mbr'; plan: MbrPlan } | { kind: 'gpt'; plan: GptPlan };
  volumes: PlannedVolume[];
}

const MiB = 2 ** 20;
const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

async function minimumSize(job: FsJob): Promise<number> {
  if (!job.driver.minimumSize) {
    throw new PlanError(
      `${job.sizeName ?? job.where}: the ${job.spec.type} driver cannot compute a size: give an explicit size`,
    );
  }
  return job.driver.minimumSize(job.tree, volumeOptions(job), { type: job.spec.type });
}

/** The driver's options for one job; `partitionStart` where the volume sits on a disk. */
function volumeOptions(job: FsJob, partitionStart?: number): Record<string, unknown> {
  return {
    ...job.pluginOptions,
    ...driverOptions(job.spec, job.ids, {
      ...(job.createdAt !== undefined ? { createdAt: job.createdAt } : {}),
      zeroed: job.zeroed,
      ...(partitionStart !== undefined ? { partitionStart } : {}),
    }),
    ...job.extraOptions,
  };
}

/** Checks before anything is written that the tree fits the size it was given. */
async function checkFits(job: FsJob, size: number): Promise<void> {
  if (!job.driver.minimumSize) return;
  // The bare fit: the room ext adds to auto sizes (a journal, free blocks) is not needed here.
  const fitOnly = isExtType(job.spec.type) ? { fitOnly: true } : {};
  const need = await job.driver.minimumSize(job.tree, { ...volumeOptions(job), ...fitOnly }, { type: job.spec.type });
  if (need > size) {
    throw new PlanError(
      `${job.sizeName ?? job.where}: the ${job.spec.type} filesystem needs at least ${formatSize(need)} ` +
        `for its contents, but has ${formatSize(size)}`,
    );
  }
}

/**
 * Sizes, layout and fit for a whole image, computed before the output exists. `jobs` holds the
 * bare filesystem's job, or one entry per partition (undefined for a partition without one).
 */
export async function planImage(spec: ImageSpec, jobs: Array<FsJob | undefined>): Promise<BuildPlan> {
  if (spec.kind === 'filesystem') {
    const job = jobs[0];
    if (!job) throw new PlanError('filesystem: nothing to build');
    const want = spec.filesystem.size;
    const size = want === 'auto' ? alignUp(await minimumSize(job), 4096) : want;
    if (want !== 'auto') await checkFits(job, size);
    return { size, volumes: [{ job, index: 0, start: 0, size, options: volumeOptions(job) }] };
  }

  const { image, partitions } = spec;
  const alignment = image.alignment;
  const auto = image.size === 'auto';
  // Bytes per partition for the layout: explicit, the filesystem's minimum, or 'remaining'.
  const sizes: Array<number | 'remaining'> = [];
  for (const [i, p] of partitions.entries()) {
    const job = jobs[i];
    if (p.size === 'auto' || (p.size === 'remaining' && auto)) {
      if (!job) throw new PlanError(`partitions[${i}]${named(p)}: size "${p.size}" needs a filesystem to size it from`);
      sizes.push(alignUp(await minimumSize(job), alignment));
    } else {
      sizes.push(p.size);
    }
  }
  const diskSize = auto ? autoDiskSize(sizes as number[], spec) : (image.size as number);

  const layoutParts = partitions.map((p, i) => ({
    size: sizes[i] as number | 'remaining',
    ...(p.name ? { name: p.name } : {}),
  }));
  const common = { diskSize, sectorSize: image.sectorSize, alignment };
  let table: BuildPlan['table'];
  let planned: Array<{ index: number; start: number; size: number }>;
  if (image.partitionTable === 'gpt') {
    const plan = planGpt({
      ...common,
      ...(image.seed !== undefined ? { seed: image.seed } : {}),
      ...(image.diskGuid !== undefined ? { diskGuid: image.diskGuid } : {}),
      partitions: partitions.map((p, i) => ({
        ...(layoutParts[i] as { size: number | 'remaining'; name?: string }),
        type: String(p.type),
        ...(p.guid ? { guid: p.guid } : {}),
        attributes: [...p.attributes, ...(p.bootable ? ['legacy-bios-bootable'] : [])] as never,
      })),
    });
    table = { kind: 'gpt', plan };
    planned = plan.partitions;
  } else {
    const plan = planMbr({
      ...common,
      ...(image.seed !== undefined ? { diskSignature: deriveU32(image.seed, 'mbr', 'disk-signature') } : {}),
      partitions: partitions.map((p, i) => ({
        ...(layoutParts[i] as { size: number | 'remaining'; name?: string }),
        type: p.type,
        ...(p.bootable ? { bootable: true } : {}),
      })),
    });
    table = { kind: 'mbr', plan };
    planned = plan.partitions;
  }

  const volumes: PlannedVolume[] = [];
  for (const [i, at] of planned.entries()) {
    const job = jobs[i];
    if (!job) continue;
    await checkFits(job, at.size);
    volumes.push({ job, index: at.index, start: at.start, size: at.size, options: volumeOptions(job, at.start) });
  }
  return { size: diskSize, table, volumes };
}

const named = (p: PartitionSpec) => (p.name ? ` (${p.name})` : '');

/** The smallest disk for fixed partition sizes: leading alignment, each partition aligned, table copies. */
function autoDiskSize(sizes: number[], spec: Extract<ImageSpec, { kind: 'disk' }>): number {
  const a = spec.image.alignment;
  let total = Math.max(a, MiB);
  for (const s of sizes) total += alignUp(s, a);
  // GPT keeps a backup array at the end; MBR logicals each need an EBR sector before them.
  const logicals = spec.image.partitionTable === 'mbr' && sizes.length > 4 ? sizes.length - 3 : 0;
  total += spec.image.partitionTable === 'gpt' ? a : logicals * a;
  return total;
}
