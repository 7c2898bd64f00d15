import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Progress } from '@fstool/fs';
import { type FilesystemSpec, type ImageSpec, parseSpec } from '@fstool/spec';
import { type VolumeReport, writeImage } from '../build.js';
import { type BuildPlan, type FsJob, planImage } from '../plan.js';
import type { DriverRegistry } from '../registry.js';
import { deriveU32, deriveUuid } from '../seed.js';
import { writeAtomically } from './atomic.js';
import { createOutput, type OutputFormat, outputFormat } from './output.js';
import { loadPlugins } from './plugins.js';
import { prepareTree, SourceError } from './trees.js';

export interface BuildOptions {
  /** Output path; written to a temporary file beside it and renamed into place on success. */
  output: string;
  /** Overrides `[output] format` and the output name's extension. */
  format?: OutputFormat;
  /** Directory that relative `source`/`device_table` paths resolve against (the spec file's). */
  baseDir: string;
  registry: DriverRegistry;
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  env?: Record<string, string | undefined>;
  /** Extra driver options for the bare filesystem (command-line flags with no spec key). */
  driverOptions?: Record<string, unknown>;
  onPlan?: (plan: BuildPlan) => void;
  onProgress?: (volume: number, p: Progress) => void;
  onWarning?: (message: string) => void;
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
  const spec = parseSpec(text, specPath);
  const baseDir = dirname(resolve(specPath));
  await loadPlugins(spec.plugins, baseDir, opts.registry);
  return buildImage(spec, { ...opts, baseDir });
}

/** Builds an image from a parsed spec: plan everything, then write atomically. */
export async function buildImage(spec: ImageSpec, opts: BuildOptions): Promise<BuildResult> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const format = outputFormat(opts.output, opts.format ?? spec.output.format);
  const seed = spec.kind === 'disk' ? spec.image.seed : undefined;
  const filesystems: Array<[string, FilesystemSpec | undefined, string]> =
    spec.kind === 'filesystem'
      ? [['filesystem', spec.filesystem, 'filesystem']]
      : spec.partitions.map((p, i) => [`partitions[${i}].filesystem`, p.filesystem, p.name ?? String(i + 1)]);

  const jobs: Array<FsJob | undefined> = [];
  for (const [where, fs, name] of filesystems) {
    if (!fs) {
      jobs.push(undefined);
      continue;
    }
    const driver = opts.registry.get(fs.type);
    const prepared = await prepareTree(fs, where, opts.baseDir, env);
    const ids = seed
      ? {
          uuid: deriveUuid(seed, 'filesystem', name, 'uuid'),
          hashSeed: deriveUuid(seed, 'filesystem', name, 'hash-seed'),
          volumeId: deriveU32(seed, 'filesystem', name, 'volume-id'),
        }
      : {};
    jobs.push({
      where,
      spec: fs,
      driver,
      tree: prepared.tree,
      ids,
      ...(prepared.epoch !== undefined ? { createdAt: prepared.epoch } : {}),
      // A fresh output reads as zeros, so all-zero blocks may stay holes unless `sparse = false`.
      zeroed: fs.sparse !== false,
      ...(opts.driverOptions ? { extraOptions: opts.driverOptions } : {}),
    });
  }

  const plan = await planImage(spec, jobs);
  opts.onPlan?.(plan);
  const volumes = await writeAtomically(opts.output, async (tmp) => {
    const dev = await createOutput(tmp, plan.size, {
      format,
      ...(spec.output.clusterSize !== undefined ? { clusterSize: spec.output.clusterSize } : {}),
      ...(spec.output.compress ? { compress: true } : {}),
    });
    try {
      const reports = await writeImage(dev, plan, {
        onWarning,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      await dev.flush();
      return reports;
    } finally {
      await dev.close();
    }
  });
  return {
    output: opts.output,
    format,
    size: plan.size,
    ...(plan.table ? { table: plan.table.kind } : {}),
    volumes,
    warnings,
  };
}
