/**
 * The FAT driver object the facade registers: type 'vfat', answering to fat, fat12, fat16 and fat32.
 * The boot-sector decoder, the builder and the volume code load on first use, so a registry that
 * holds this driver but opens an ext image never loads them.
 */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import type { BuildContext, SizedDriver, SourceTree } from '@fstool/fs';
import type { FatOptions } from './options.js';
import type { FatOpenOptions } from './volume.js';

const fatMinimumSize = async (tree: SourceTree, opts: FatOptions, ctx: BuildContext) =>
  (await import('./build.js')).fatMinimumSize(tree, opts, ctx);
const fatBuild = async (dev: BlockDevice, tree: SourceTree, opts: FatOptions, ctx: BuildContext) =>
  (await import('./build.js')).fatBuild(dev, tree, opts, ctx);
const openFat = async (dev: BlockDevice, opts: FatOpenOptions) => (await import('./volume.js')).openFat(dev, opts);

async function probe(dev: BlockDevice): Promise<boolean> {
  if (dev.size < 512) return false;
  const sector = new Uint8Array(512);
  try {
    await dev.read(0, sector);
    if (sector[0] !== 0xeb && sector[0] !== 0xe9) return false;
    (await import('./boot.js')).decodeBootSector(sector, dev.size);
    return true;
  } catch (err) {
    if (err instanceof CorruptError) return false;
    throw err;
  }
}

export const fatDriver: SizedDriver<FatOptions> = {
  type: 'vfat',
  aliases: ['fat', 'fat12', 'fat16', 'fat32'],
  probe,
  minimumSize: fatMinimumSize,
  build: fatBuild,
  open: openFat,
};

/** The driver with default options bound (`fat({ label: 'BOOT' })`), for registries that take one object. */
export function fat(defaults: FatOptions = {}): SizedDriver<FatOptions> {
  return {
    ...fatDriver,
    minimumSize: (tree, opts, ctx) => fatMinimumSize(tree, { ...defaults, ...opts }, ctx),
    build: (dev, tree, opts, ctx) => fatBuild(dev, tree, { ...defaults, ...opts }, ctx),
    open: (dev, opts) =>
      openFat(dev, defaults.timeZone === undefined ? opts : { timeZone: defaults.timeZone, ...opts }),
  };
}
