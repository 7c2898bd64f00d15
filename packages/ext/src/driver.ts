/**
 * The ext2/ext3/ext4 driver object: probe, minimumSize, build and open. `ctx.type` ('ext2', 'ext3'
 * or 'ext4') selects the defaults. The builder and the reader load on first use, so holding the
 * driver (every registry does) costs nothing, and opening an image never loads the builder.
 */
import type { BlockDevice } from '@fstool/blockdev';
import type { SizedDriver } from '@fstool/fs';
import type { ExtOptions } from './plan/options.js';

const builder = () => import('./build.js');
const reader = () => import('./read/open.js');

/** Builds ext2/3/4 filesystems from a tree, reads and edits them. */
export const extDriver: SizedDriver<ExtOptions> = {
  type: 'ext4',
  aliases: ['ext2', 'ext3'],
  probe: async (dev: BlockDevice) => (await import('./read/probe.js')).probeExt(dev),
  minimumSize: async (tree, opts, ctx) => (await builder()).extMinimumSize(tree, opts, ctx),
  build: async (dev, tree, opts, ctx) => (await builder()).extBuild(dev, tree, opts, ctx),
  open: async (dev: BlockDevice, opts: { writable: boolean }) => (await reader()).openExt(dev, opts),
};
