import { extDriver } from '@fstool/ext';
import { fatDriver } from '@fstool/fat';
import { DriverRegistry } from './registry.js';

/** A registry with the built-in drivers (ext2/3/4 and FAT) plus any extra ones, in probe order. */
export function createRegistry(extra: Parameters<DriverRegistry['register']>[0][] = []): DriverRegistry {
  return new DriverRegistry([extDriver, fatDriver, ...extra]);
}
