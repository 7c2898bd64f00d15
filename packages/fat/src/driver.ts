/** The FAT driver object the facade registers: type 'vfat', answering to fat, fat12, fat16 and fat32. */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import type { SizedDriver } from '@fstool/fs';
import { decodeBootSector } from './boot.js';
import { fatBuild, fatMinimumSize } from './build.js';
import type { FatOptions } from './options.js';
import { openFat } from './volume.js';

async function probe(dev: BlockDevice): Promise<boolean> {
  if (dev.size < 512) return false;
  const sector = new Uint8Array(512);
  try {
    await dev.read(0, sector);
    if (sector[0] !== 0xeb && sector[0] !== 0xe9) return false;
    decodeBootSector(sector, dev.size);
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
