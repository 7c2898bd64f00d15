import type { BlockDevice, ResizableDevice } from '@fstool/blockdev';
import type { Progress, SourceTree } from '@fstool/fs';
import { Qcow2Device } from '@fstool/qcow2';
import { type ImageSpec, parseSpec } from '@fstool/spec';
import { type VolumeReport, writeImage } from '../build.js';
import { planSpec } from '../jobs.js';
import { type BuildPlan, PlanError } from '../plan.js';
import { finishTree, sourceDateEpoch } from '../prepare.js';
import type { DriverRegistry } from '../registry.js';

export type OutputFormat = 'raw' | 'qcow2';

export interface BrowserBuildOptions {
  registry: DriverRegistry;
  /**
   * A fresh, empty output (a MemoryDevice, an OPFS file): it must grow when written past its end
   * and read zeros where nothing was written. Raw output is resized to the image size; qcow2 is
   * written into it directly. It is closed when the build ends.
   */
  output: () => Promise<ResizableDevice>;
  /**
   * The files of each filesystem in spec order (dropped folders, an opened image's tree), taking
   * the place of its `source` key. A filesystem with a `source` but no tree here is an error.
   */
  trees?: Array<SourceTree | undefined>;
  /** Overrides `[output] format` (default raw). */
  format?: OutputFormat;
  /** Text of the files that `device_table` keys name. */
  readText?: (name: string) => Promise<string>;
  /** Environment for SOURCE_DATE_EPOCH (a page has none: default empty). */
  env?: Record<string, string | undefined>;
  onPlan?: (plan: BuildPlan) => void;
  onProgress?: (volume: number, p: Progress) => void;
  onWarning?: (message: string) => void;
}

export interface BrowserBuildResult {
  format: OutputFormat;
  /** Size of the disk image (the virtual size for qcow2). */
  size: number;
  table?: 'mbr' | 'gpt';
  volumes: VolumeReport[];
  warnings: string[];
}

/**
 * Builds a spec in a browser (or anywhere without a host filesystem): the same planning, trees and
 * seed-derived ids as `fstool build`, so the same spec and files give the same bytes.
 */
export async function buildImage(spec: ImageSpec | string, opts: BrowserBuildOptions): Promise<BrowserBuildResult> {
  const source = typeof spec === 'string' ? { text: spec } : undefined;
  // Any type may be a driver the caller registered: the planner checks types and plugin keys.
  if (typeof spec === 'string') spec = parseSpec(spec, undefined, { plugins: true });
  const { output } = spec;
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const epoch = sourceDateEpoch(opts.env ?? {});
  const plan = await planSpec(spec, {
    registry: opts.registry,
    fresh: true,
    ...(source ? { source } : {}),
    prepare: async (fs, where, i) => {
      const given = opts.trees?.[i];
      if (!given && fs.source !== undefined) {
        throw new PlanError(`${where}.source: no files were given for "${fs.source}"`);
      }
      let deviceTable: { text: string; name: string } | undefined;
      if (fs.deviceTable !== undefined) {
        if (!opts.readText) throw new PlanError(`${where}.device_table: no file "${fs.deviceTable}" was given`);
        deviceTable = { text: await opts.readText(fs.deviceTable), name: fs.deviceTable };
      }
      return finishTree(given, fs, {
        ...(epoch !== undefined ? { epoch } : {}),
        ...(deviceTable ? { deviceTable } : {}),
      });
    },
  });
  opts.onPlan?.(plan);
  const format = opts.format ?? output.format ?? 'raw';
  const container = await opts.output();
  let dev: BlockDevice = container;
  try {
    if (format === 'qcow2') {
      dev = await Qcow2Device.create(container, {
        virtualSize: plan.size,
        ...(output.clusterSize !== undefined ? { clusterSize: output.clusterSize } : {}),
        ...(output.compress ? { compress: true } : {}),
      });
    } else {
      await container.resize(plan.size);
    }
    const volumes = await writeImage(dev, plan, {
      onWarning,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    await dev.flush();
    return { format, size: plan.size, ...(plan.table ? { table: plan.table.kind } : {}), volumes, warnings };
  } finally {
    await dev.close(); // a qcow2 device closes its container
  }
}
