import { checkPluginKeys, type FilesystemSpec, type ImageSpec } from '@fstool/spec';
import { type BuildPlan, type FsJob, planImage } from './plan.js';
import type { PreparedTree } from './prepare.js';
import type { DriverRegistry } from './registry.js';
import { deriveU32, deriveUuid } from './seed.js';

export interface PlanSpecOptions {
  registry: DriverRegistry;
  /** The prepared tree of each filesystem, by its place in the spec. */
  prepare: (fs: FilesystemSpec, where: string, index: number) => Promise<PreparedTree>;
  /** The output reads as zeros where nothing is written (a fresh file, qcow2 or memory). */
  fresh: boolean;
  /** Extra driver options for every filesystem (command-line flags with no spec key). */
  driverOptions?: Record<string, unknown>;
  /** The spec's text and file name, so problems with a plugin's keys name their lines. */
  source?: { text: string; file?: string };
  /** A bare filesystem given as command-line flags: the flag each spec key came from, for messages. */
  flags?: Readonly<Record<string, string>>;
}

/**
 * Plans a parsed spec: one job per filesystem with its tree and seed-derived ids, then sizes and
 * layout. The CLI and the browser entry both build through this, so the same spec and tree give
 * the same bytes.
 */
export async function planSpec(spec: ImageSpec, opts: PlanSpecOptions): Promise<BuildPlan> {
  const seed = spec.kind === 'disk' ? spec.image.seed : undefined;
  // Before any tree is scanned: every type has a driver, every plugin key is one its plugin declares.
  const { registry } = opts;
  const known = {
    plugin: (type: string) => (registry.has(type) ? registry.get(type) : undefined),
    types: () => registry.types(),
  };
  const pluginOptions = checkPluginKeys(spec, known, opts.source);
  const jobs: Array<FsJob | undefined> = [];
  for (const [i, [where, fs, name]] of filesystems(spec).entries()) {
    if (!fs) {
      jobs.push(undefined);
      continue;
    }
    const driver = registry.get(fs.type);
    const prepared = await opts.prepare(fs, where, i);
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
      // A fresh output reads as zeros, so all-zero blocks may stay holes unless `sparse = false`;
      // a block device holds old data, so every block must be written.
      zeroed: opts.fresh && fs.sparse !== false,
      ...(pluginOptions[i] ? { pluginOptions: pluginOptions[i] } : {}),
      ...(opts.driverOptions ? { extraOptions: opts.driverOptions } : {}),
      ...(opts.flags?.size !== undefined ? { sizeName: opts.flags.size } : {}),
    });
  }
  return planImage(spec, jobs);
}

/** Each filesystem of a spec with where it is (for messages) and its name (for derived ids). */
export function filesystems(spec: ImageSpec): Array<[string, FilesystemSpec | undefined, string]> {
  return spec.kind === 'filesystem'
    ? [['filesystem', spec.filesystem, 'filesystem']]
    : spec.partitions.map((p, i) => [`partitions[${i}].filesystem`, p.filesystem, p.name ?? String(i + 1)]);
}
