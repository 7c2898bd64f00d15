/**
 * `build` and `minimumSize`: plan the whole tree, choose the geometry for the device, check that
 * everything fits, then write.
 */
import { type BlockDevice, InvalidArgumentError } from '@fstool/blockdev';
import { type BuildContext, type BuildReport, NoSpaceError, type SourceTree } from '@fstool/fs';
import { SECTOR_SIZE } from './format/boot-sector.js';
import { chooseGeometry, type FatType, type GeometryOptions } from './geometry.js';
import { normalizeLabel } from './names.js';
import { DEFAULT_OEM_NAME, DEFAULT_VOLUME_ID, type FatOptions, zoneOffset } from './options.js';
import { clustersNeeded, place, scanTree, type TreePlan } from './plan.js';
import { writeVolume } from './write.js';

const TYPE_NAMES: Record<string, FatType | undefined> = {
  fat12: 12,
  fat16: 16,
  fat32: 32,
  vfat: undefined,
  fat: undefined,
};

/** The FAT type asked for through the options or the type name ('fat32'); undefined = choose from the size. */
function requestedType(opts: FatOptions, ctx: BuildContext): FatType | undefined {
  const name = ctx.type.toLowerCase();
  if (!(name in TYPE_NAMES)) throw new InvalidArgumentError(`the FAT driver cannot build type "${ctx.type}"`);
  const byName = TYPE_NAMES[name];
  if (opts.fatType !== undefined && byName !== undefined && opts.fatType !== byName) {
    throw new InvalidArgumentError(`type ${ctx.type} conflicts with fatType ${opts.fatType}`);
  }
  return opts.fatType ?? byName;
}

function geometryOptions(opts: FatOptions, ctx: BuildContext, plan: TreePlan): GeometryOptions {
  const g: GeometryOptions = { rootEntries: plan.root.slots };
  const type = requestedType(opts, ctx);
  if (type !== undefined) g.fatType = type;
  if (opts.clusterSize !== undefined) g.clusterSize = opts.clusterSize;
  if (opts.reservedSectors !== undefined) g.reservedSectors = opts.reservedSectors;
  return g;
}

function checkOptions(opts: FatOptions): void {
  if (
    opts.volumeId !== undefined &&
    !(Number.isInteger(opts.volumeId) && opts.volumeId >= 0 && opts.volumeId <= 0xffffffff)
  ) {
    throw new InvalidArgumentError(`volume ID ${opts.volumeId} is not a 32-bit unsigned number`);
  }
  if (opts.oemName !== undefined && !/^[\x20-\x7e]{0,8}$/.test(opts.oemName)) {
    throw new InvalidArgumentError(
      `OEM name ${JSON.stringify(opts.oemName)} must be up to 8 printable ASCII characters`,
    );
  }
  const z = opts.timeZone;
  if (z !== undefined && z !== 'utc' && !(Number.isInteger(z) && Math.abs(z) <= 24 * 60)) {
    throw new InvalidArgumentError(`time zone ${z} must be 'utc' or whole minutes east of UTC (±1440)`);
  }
  const rs = opts.reservedSectors;
  if (rs !== undefined && !(Number.isInteger(rs) && rs >= 1 && rs <= 0xffff)) {
    throw new InvalidArgumentError(`reserved sectors ${rs} must be a whole number from 1 to 65535 (FAT32: from 9)`);
  }
  if (opts.headroom !== undefined && !(opts.headroom >= 0)) {
    throw new InvalidArgumentError(`headroom ${opts.headroom} must be a fraction ≥ 0`);
  }
}

async function planTree(tree: SourceTree, opts: FatOptions, ctx: BuildContext): Promise<TreePlan> {
  checkOptions(opts);
  return scanTree(tree, opts, ctx, opts.label !== undefined ? normalizeLabel(opts.label) : undefined);
}

/** Smallest size (bytes, whole sectors) whose default geometry holds the plan plus headroom. */
function smallestFit(plan: TreePlan, opts: FatOptions, ctx: BuildContext): number {
  const g = geometryOptions(opts, ctx, plan);
  const cache = new Map<string, number>();
  const fits = (sectors: number) => {
    let geo: ReturnType<typeof chooseGeometry>;
    try {
      geo = chooseGeometry(sectors * SECTOR_SIZE, g);
    } catch (err) {
      if (err instanceof InvalidArgumentError) return false;
      throw err;
    }
    const key = `${geo.fatType}/${geo.clusterSize}`;
    let need = cache.get(key);
    if (need === undefined) {
      need = Math.ceil(clustersNeeded(plan, geo.clusterSize, geo.fatType) * (1 + (opts.headroom ?? 0)));
      cache.set(key, need);
    }
    return need <= geo.clusters;
  };
  let lo = 0;
  let hi = 64;
  while (!fits(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 0xffffffff) throw new NoSpaceError('the tree does not fit in the largest FAT volume (2 TiB)');
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi * SECTOR_SIZE;
}

export async function fatMinimumSize(tree: SourceTree, opts: FatOptions, ctx: BuildContext): Promise<number> {
  const quiet: BuildContext = { type: ctx.type };
  return smallestFit(await planTree(tree, opts, quiet), opts, ctx);
}

export async function fatBuild(
  dev: BlockDevice,
  tree: SourceTree,
  opts: FatOptions,
  ctx: BuildContext,
): Promise<BuildReport> {
  const plan = await planTree(tree, opts, ctx);
  const geo = chooseGeometry(dev.size, geometryOptions(opts, ctx, plan));
  const need = clustersNeeded(plan, geo.clusterSize, geo.fatType);
  if (need > geo.clusters) {
    const min = smallestFit(plan, { ...opts, headroom: 0 }, ctx);
    throw new NoSpaceError(
      `the tree needs ${need} clusters of ${geo.clusterSize} bytes but a ${dev.size}-byte FAT${geo.fatType} volume has ${geo.clusters}; ` +
        `the minimum size is ${min} bytes`,
    );
  }
  const used = place(plan, geo);
  const params: Parameters<typeof writeVolume>[4] = {
    volumeId: opts.volumeId ?? DEFAULT_VOLUME_ID,
    oemName: opts.oemName ?? DEFAULT_OEM_NAME,
    hiddenSectors: opts.hiddenSectors ?? 0,
    zone: zoneOffset(opts.timeZone),
    hideDotFiles: opts.hideDotFiles ?? false,
    zeroed: opts.zeroed ?? false,
  };
  if (plan.label !== undefined) params.label = plan.label;
  await writeVolume(dev, geo, plan, used, params, ctx);
  return {
    type: `fat${geo.fatType}`,
    size: geo.totalSectors * SECTOR_SIZE,
    usedBytes: geo.firstDataSector * SECTOR_SIZE + used * geo.clusterSize,
    entries: plan.entries,
    warnings: plan.warnings,
    details: {
      fatType: geo.fatType,
      clusterSize: geo.clusterSize,
      clusters: geo.clusters,
      freeClusters: geo.clusters - used,
      reservedSectors: geo.reservedSectors,
      fatSectors: geo.fatSectors,
      rootEntries: geo.rootEntries,
      volumeId: (params.volumeId >>> 0).toString(16).padStart(8, '0'),
      label: plan.label?.trimEnd() ?? null,
    },
  };
}
