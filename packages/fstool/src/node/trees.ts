import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
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
import { type ScanOptions, scanDirectory } from '@fstool/fs/node';
import type { FilesystemSpec } from '@fstool/spec';

/** A spec key that names a host path which is not usable. */
export class SourceError extends FsError {
  constructor(message: string) {
    super('SOURCE', message);
  }
}

export interface PreparedTree {
  /** Metadata held in memory (contents stay lazy), so it can be walked for sizing and again for building. */
  tree: SourceTree;
  /** The build time: `mtime`, else SOURCE_DATE_EPOCH, else undefined. */
  epoch?: number;
}

/**
 * The tree a filesystem is built from: the host directory (if any), the device table and /dev presets,
 * then times and owners made host-independent (atime = ctime = mtime; `mtime` fixes every time,
 * SOURCE_DATE_EPOCH clamps later ones; `squash_owner` makes root own everything).
 */
export async function prepareTree(
  fs: FilesystemSpec,
  where: string,
  baseDir: string,
  env: Record<string, string | undefined>,
  scan: ScanOptions = {},
): Promise<PreparedTree> {
  const epoch = fs.mtime ?? sourceDateEpoch(env);
  let tree: SourceTree;
  if (fs.source !== undefined) {
    const dir = resolve(baseDir, fs.source);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new SourceError(`${where}.source: ${dir} does not exist`);
    }
    if (!isDir) throw new SourceError(`${where}.source: ${dir} is not a directory`);
    tree = scanDirectory(dir, { ...(fs.xattrs ? { xattrs: fs.xattrs } : {}), ...scan });
  } else {
    tree = treeFromEntries([], { mtime: epoch ?? 0 });
  }
  if (fs.deviceTable !== undefined) {
    const path = resolve(baseDir, fs.deviceTable);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new SourceError(`${where}.device_table: cannot read ${path}`);
    }
    tree = applyDeviceTable(tree, parseDeviceTable(text, path), { mtime: epoch ?? 0 });
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
