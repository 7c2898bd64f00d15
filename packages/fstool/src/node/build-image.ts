import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type BlockDevice, SliceDevice } from '@fstool/blockdev';
import type { Progress, SourceTree } from '@fstool/fs';
import { type ImageSpec, parseSpec, type XattrPolicy } from '@fstool/spec';
import { type VolumeReport, writeImage } from '../build.js';
import { planSpec } from '../jobs.js';
import type { BuildPlan } from '../plan.js';
import type { DriverRegistry } from '../registry.js';
import { writeAtomically } from './atomic.js';
import type { LockOptions } from './lock.js';
import { createOutput, type OutputFormat, outputFormat } from './output.js';
import { checkOutputPath } from './output-path.js';
import { loadPlugins } from './plugins.js';
import { isBlockDevicePath, openBlockTarget, TargetError } from './target.js';
import { prepareTree, SourceError } from './trees.js';

export interface BuildOptions {
  /**
   * Output path; written to a temporary file beside it and renamed into place on success. A block
   * device is written in place, only with `force`; `auto` sizes then mean its capacity.
   */
  output: string;
  /** Allow writing onto a block device (its contents are lost). */
  force?: boolean;
  /** How to take the lock on an existing output file (e.g. wait for its editor to finish). */
  lock?: LockOptions;
  /** Trees to build from instead of scanning each filesystem's `source`, in spec order (repack). */
  trees?: Array<SourceTree | undefined>;
  /** Overrides `[output] format` and the output name's extension. */
  format?: OutputFormat;
  /** Directory that relative `source`/`device_table` paths resolve against (the spec file's). */
  baseDir: string;
  registry: DriverRegistry;
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  env?: Record<string, string | undefined>;
  /** Host xattrs to copy into every filesystem, over each one's `xattrs` key (`--xattrs`). */
  xattrs?: XattrPolicy;
  /** Extra driver options for the bare filesystem (command-line flags with no spec key). */
  driverOptions?: Record<string, unknown>;
  /** The spec's text and file name, so problems found once plugins are loaded name their lines. */
  source?: { text: string; file?: string };
  /**
   * A bare filesystem given as command-line flags: the flag each spec key came from (`size` →
   * `--size`), so messages name the flag rather than `filesystem.size`.
   */
  flags?: Readonly<Record<string, string>>;
  onPlan?: (plan: BuildPlan) => void;
  onProgress?: (volume: number, p: Progress) => void;
  onWarning?: (message: string) => void;
  /** Told before any writing that an existing output file will be replaced. */
  onReplace?: (output: string) => void;
}

export interface BuildResult {
  output: string;
  format: OutputFormat;
  size: number;
  table?: 'mbr' | 'gpt';
  volumes: VolumeReport[];
  warnings: string[];
}

/** Reads, parses and builds a spec file. Plugins named in the spec are loaded from the spec's directory. */
export async function buildSpecFile(specPath: string, opts: Omit<BuildOptions, 'baseDir'>): Promise<BuildResult> {
  let text: string;
  try {
    text = readFileSync(specPath, 'utf8');
  } catch (err) {
    throw new SourceError(`cannot read spec ${specPath}: ${(err as Error).message}`);
  }
  // Any type may be a plugin's (loaded here or by the caller): the planner checks types and plugin keys.
  const spec = parseSpec(text, specPath, { plugins: true });
  const baseDir = dirname(resolve(specPath));
  await loadPlugins(spec.plugins, baseDir, opts.registry);
  return buildImage(spec, { ...opts, baseDir, source: { text, file: specPath } });
}

/** Builds an image from a parsed spec: plan everything, then write atomically (or in place onto a block device). */
export async function buildImage(spec: ImageSpec, opts: BuildOptions): Promise<BuildResult> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const format = outputFormat(opts.output, opts.format ?? spec.output.format);
  checkOutputPath(opts.output);
  const target = isBlockDevicePath(opts.output)
    ? await openBlockTarget(opts.output, { force: opts.force ?? false, format })
    : undefined;
  try {
    if (target) spec = fillDevice(spec, target.size);
    const plan = await planSpec(spec, {
      registry: opts.registry,
      fresh: !target,
      prepare: async (fs, where, i) => {
        const given = opts.trees?.[i];
        const flags = opts.flags;
        const name = flags ? (key: string) => flags[key] ?? `${where}.${key}` : where;
        if (!given) return prepareTree(fs, name, opts.baseDir, env, opts.xattrs ? { xattrs: opts.xattrs } : {});
        return { tree: given, ...(fs.mtime !== undefined ? { epoch: fs.mtime } : {}) };
      },
      ...(opts.driverOptions ? { driverOptions: opts.driverOptions } : {}),
      ...(opts.source ? { source: opts.source } : {}),
      ...(opts.flags ? { flags: opts.flags } : {}),
    });
    opts.onPlan?.(plan);
    const write = async (dev: BlockDevice) => {
      const reports = await writeImage(dev, plan, {
        onWarning,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      await dev.flush();
      return reports;
    };
    let volumes: VolumeReport[];
    if (target) {
      if (plan.size > target.size) {
        throw new TargetError(`${opts.output} holds ${target.size} bytes; the image needs ${plan.size}`);
      }
      volumes = await write(plan.size === target.size ? target : new SliceDevice(target, 0, plan.size));
    } else {
      volumes = await writeAtomically(
        opts.output,
        async (tmp) => {
          const dev = await createOutput(tmp, plan.size, {
            format,
            ...(spec.output.clusterSize !== undefined ? { clusterSize: spec.output.clusterSize } : {}),
            ...(spec.output.compress ? { compress: true } : {}),
          });
          try {
            return await write(dev);
          } finally {
            await dev.close();
          }
        },
        {
          onWarning,
          ...(opts.onReplace ? { onReplace: opts.onReplace } : {}),
          ...(opts.lock ? { lock: opts.lock } : {}),
        },
      );
    }
    return {
      output: opts.output,
      format,
      size: plan.size,
      ...(plan.table ? { table: plan.table.kind } : {}),
      volumes,
      warnings,
    };
  } finally {
    await target?.close();
  }
}

/** On a block device, `auto` image and bare filesystem sizes mean the device's capacity. */
function fillDevice(spec: ImageSpec, capacity: number): ImageSpec {
  if (spec.kind === 'filesystem') {
    return spec.filesystem.size === 'auto' ? { ...spec, filesystem: { ...spec.filesystem, size: capacity } } : spec;
  }
  return spec.image.size === 'auto' ? { ...spec, image: { ...spec.image, size: capacity } } : spec;
}
