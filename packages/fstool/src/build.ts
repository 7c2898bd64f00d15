import { type BlockDevice, SliceDevice } from '@fstool/blockdev';
import type { BuildReport, Progress } from '@fstool/fs';
import { writeGpt } from '@fstool/gpt';
import { writeMbr } from '@fstool/mbr';
import type { BuildPlan } from './plan.js';

export interface WriteOptions {
  /** Progress of each volume; `volume` is the partition number (0 for a bare filesystem). */
  onProgress?: (volume: number, p: Progress) => void;
  onWarning?: (message: string) => void;
}

export interface VolumeReport extends BuildReport {
  index: number;
  start: number;
  where: string;
}

/** Writes a planned image onto `dev` (already `plan.size` bytes): the table, then each filesystem. */
export async function writeImage(dev: BlockDevice, plan: BuildPlan, opts: WriteOptions = {}): Promise<VolumeReport[]> {
  if (plan.table?.kind === 'gpt') await writeGpt(dev, plan.table.plan.spec);
  if (plan.table?.kind === 'mbr') await writeMbr(dev, plan.table.plan.spec);
  const reports: VolumeReport[] = [];
  for (const v of plan.volumes) {
    const target = v.start === 0 && v.size === dev.size ? dev : new SliceDevice(dev, v.start, v.size);
    const warn = opts.onWarning;
    const report = await v.job.driver.build(target, v.job.tree, v.options, {
      type: v.job.spec.type,
      ...(opts.onProgress ? { onProgress: (p: Progress) => opts.onProgress?.(v.index, p) } : {}),
      ...(warn ? { onWarning: (m: string) => warn(`${v.job.where}: ${m}`) } : {}),
    });
    reports.push({ ...report, index: v.index, start: v.start, where: v.job.where });
  }
  return reports;
}
