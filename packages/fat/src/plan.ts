/**
 * Build planning: the source tree as FAT directories (names, short aliases, slot counts), then
 * the clusters every file and directory needs for a given cluster size, then their placement.
 * No I/O besides walking the tree's metadata.
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { type BuildContext, basename, dirname, type Entry, type SourceTree, UnsupportedError } from '@fstool/fs';
import { DIRENT_SIZE } from './format/dirent.js';
import type { FatType, Geometry } from './geometry.js';
import { upperName } from './name-case.js';
import { checkFatName, type ShortName, ShortNameTable } from './names.js';
import type { FatOptions } from './options.js';
import { recordSlots } from './records.js';

/** Largest file FAT can hold. */
export const MAX_FILE_SIZE = 0xffffffff;
/** Entries one directory may hold (fatgen103: 65536 × 32 bytes). */
export const MAX_DIR_SLOTS = 65536;

export interface PlanFile {
  kind: 'file';
  entry: Entry;
  size: number;
  /** First cluster (0 for an empty file), set by `place`. */
  cluster: number;
  clusters: number;
}

export interface PlanDir {
  kind: 'dir';
  entry: Entry;
  children: PlanChild[];
  names: ShortNameTable;
  /** The path of each name taken, by its case-insensitive key (`upperName`). */
  taken: Map<string, string>;
  /** Directory slots used, including '.', '..' and the volume label. */
  slots: number;
  cluster: number;
  clusters: number;
  parent?: PlanDir;
}

export interface PlanChild {
  name: string;
  short: ShortName;
  node: PlanFile | PlanDir;
}

export interface TreePlan {
  root: PlanDir;
  /** Every node in tree order (the order clusters are placed and written). */
  order: Array<PlanFile | PlanDir>;
  label?: string;
  entries: number;
  warnings: string[];
}

function refuse(opts: FatOptions, ctx: BuildContext, warnings: string[], message: string): void {
  if (opts.strict) throw new UnsupportedError(message);
  warnings.push(message);
  ctx.onWarning?.(message);
}

/** Walks the tree once (metadata only) into FAT directories with short names assigned. */
export async function scanTree(
  tree: SourceTree,
  opts: FatOptions,
  ctx: BuildContext,
  label: string | undefined,
): Promise<TreePlan> {
  const warnings: string[] = [];
  const dirs = new Map<string, PlanDir>();
  const links = new Set<string>();
  const order: Array<PlanFile | PlanDir> = [];
  const newDir = (entry: Entry, parent?: PlanDir): PlanDir => {
    const d: PlanDir = {
      kind: 'dir',
      entry,
      children: [],
      names: new ShortNameTable(),
      taken: new Map(),
      slots: 2,
      cluster: 0,
      clusters: 0,
    };
    if (parent) d.parent = parent;
    return d;
  };
  let root: PlanDir | undefined;
  let entries = 0;
  for await (const entry of tree.entries()) {
    if (entry.path === '/') {
      if (entry.kind !== 'dir') throw new InvalidArgumentError('the root of the source tree is not a directory');
      root = newDir(entry);
      root.slots = 0;
      if (label !== undefined) {
        root.names.reserve(label);
        root.slots = 1;
      }
      dirs.set('/', root);
      order.push(root);
      entries++;
      continue;
    }
    const parent = dirs.get(dirname(entry.path));
    if (!parent) {
      if (!root) throw new InvalidArgumentError('the source tree does not start with its root directory');
      continue; // inside something skipped
    }
    const name = basename(entry.path);
    // FAT names are case-insensitive: a second name that differs only in case cannot be added.
    const key = upperName(name);
    const clash = parent.taken.get(key);
    if (clash !== undefined) {
      refuse(opts, ctx, warnings, `${entry.path}: FAT ignores case in names and ${clash} is there already; skipped`);
      continue;
    }
    let node: PlanFile | PlanDir;
    if (entry.kind === 'dir') {
      checkFatName(name, entry.path);
      node = newDir(entry, parent);
      dirs.set(entry.path, node);
    } else if (entry.kind === 'file') {
      checkFatName(name, entry.path);
      if (entry.linkId !== undefined) {
        if (links.has(entry.linkId)) {
          refuse(opts, ctx, warnings, `${entry.path}: FAT has no hard links; skipped (its first link holds the data)`);
          continue;
        }
        links.add(entry.linkId);
      }
      if (entry.size > MAX_FILE_SIZE) {
        throw new UnsupportedError(
          `${entry.path}: ${entry.size} bytes is over FAT's file size limit of ${MAX_FILE_SIZE}`,
        );
      }
      node = { kind: 'file', entry, size: entry.size, cluster: 0, clusters: 0 };
    } else {
      refuse(opts, ctx, warnings, `${entry.path}: FAT cannot hold a ${entry.kind}; skipped`);
      continue;
    }
    parent.taken.set(key, entry.path);
    const short = parent.names.assign(name);
    parent.children.push({ name, short, node });
    parent.slots += recordSlots(name, short);
    if (parent.slots > MAX_DIR_SLOTS) {
      throw new UnsupportedError(`${dirname(entry.path)}: more than ${MAX_DIR_SLOTS} directory entries`);
    }
    order.push(node);
    entries++;
  }
  if (!root) throw new InvalidArgumentError('the source tree has no root directory');
  const plan: TreePlan = { root, order, entries, warnings };
  if (label !== undefined) plan.label = label;
  return plan;
}

/** Clusters the tree needs with `clusterSize`-byte clusters (the FAT12/16 root lives outside the data area). */
export function clustersNeeded(plan: TreePlan, clusterSize: number, type: FatType): number {
  let n = 0;
  for (const node of plan.order) {
    if (node.kind === 'file') n += Math.ceil(node.size / clusterSize);
    else if (node !== plan.root || type === 32) n += Math.max(1, Math.ceil((node.slots * DIRENT_SIZE) / clusterSize));
  }
  return n;
}

/** Assigns each node a contiguous run of clusters from cluster 2 up, in tree order; returns the clusters used. */
export function place(plan: TreePlan, geo: Geometry): number {
  let next = 2;
  for (const node of plan.order) {
    let n: number;
    if (node.kind === 'file') n = Math.ceil(node.size / geo.clusterSize);
    else if (node === plan.root && geo.fatType !== 32) n = 0;
    else n = Math.max(1, Math.ceil((node.slots * DIRENT_SIZE) / geo.clusterSize));
    node.cluster = n ? next : 0;
    node.clusters = n;
    next += n;
  }
  return next - 2;
}
