import { FsError } from '@fstool/blockdev';
import {
  applyDeviceTable,
  collectTree,
  parseDeviceTable,
  reproducible,
  type SourceTree,
  treeFromEntries,
  withRootDevices,
} from '@fstool/fs';
import type { FilesystemSpec } from '@fstool/spec';

export interface PreparedTree {
  /** Metadata held in memory (contents stay lazy), so it can be walked for sizing and again for building. */
  tree: SourceTree;
  /** The build time: `mtime`, else SOURCE_DATE_EPOCH, else undefined. */
  epoch?: number;
}

/**
 * The tree a filesystem is built from, wherever its files come from (a host scan, files dropped on
 * a page): the device table and /dev presets are added, then times and owners made host-independent
 * (atime = ctime = mtime; `mtime` fixes every time, `epoch` clamps later ones; `squash_owner` makes
 * root own everything). `deviceTable` is the text of the spec's `device_table` and its name.
 */
export async function finishTree(
  base: SourceTree | undefined,
  fs: FilesystemSpec,
  opts: { epoch?: number; deviceTable?: { text: string; name: string } },
): Promise<PreparedTree> {
  const epoch = fs.mtime ?? opts.epoch;
  let tree = base ?? treeFromEntries([], { mtime: epoch ?? 0 });
  if (opts.deviceTable) {
    const table = parseDeviceTable(opts.deviceTable.text, opts.deviceTable.name);
    tree = applyDeviceTable(tree, table, { mtime: epoch ?? 0 });
  }
  if (fs.rootdevs && fs.rootdevs !== 'none') {
    tree = withRootDevices(tree, fs.rootdevs, epoch === undefined ? {} : { mtime: epoch });
  }
  tree = reproducible(tree, {
    ...(epoch !== undefined ? { epoch, fixed: fs.mtime !== undefined } : {}),
    squashOwners: fs.squashOwner ?? false,
  });
  const entries = await collectTree(tree);
  return {
    tree: {
      async *entries() {
        yield* entries;
      },
    },
    ...(epoch !== undefined ? { epoch } : {}),
  };
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) as whole seconds, or undefined when unset. */
export function sourceDateEpoch(env: Record<string, string | undefined>): number | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw))
    throw new FsError('INVALID_ARGUMENT', `SOURCE_DATE_EPOCH must be whole seconds, got "${raw}"`);
  return Number(raw);
}
