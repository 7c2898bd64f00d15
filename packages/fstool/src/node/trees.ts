import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FsError } from '@fstool/blockdev';
import type { SourceTree } from '@fstool/fs';
import { type ScanOptions, scanDirectory } from '@fstool/fs/node';
import type { FilesystemSpec } from '@fstool/spec';
import { finishTree, type PreparedTree, sourceDateEpoch } from '../prepare.js';

export { type PreparedTree, sourceDateEpoch };

/** A spec key that names a host path which is not usable. */
export class SourceError extends FsError {
  constructor(message: string) {
    super('SOURCE', message);
  }
}

/**
 * The tree a filesystem is built from: the host directory (if any), the device table and /dev presets,
 * then times and owners made host-independent (atime = ctime = mtime; `mtime` fixes every time,
 * SOURCE_DATE_EPOCH clamps later ones; `squash_owner` makes root own everything).
 */
export async function prepareTree(
  fs: FilesystemSpec,
  where: string | ((key: string) => string),
  baseDir: string,
  env: Record<string, string | undefined>,
  scan: ScanOptions = {},
): Promise<PreparedTree> {
  // `where` is the filesystem's place in the spec, or names each key (a flag it came from).
  const name = typeof where === 'string' ? (key: string) => `${where}.${key}` : where;
  let tree: SourceTree | undefined;
  if (fs.source !== undefined) {
    const dir = resolve(baseDir, fs.source);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new SourceError(`${name('source')}: ${dir} does not exist`);
    }
    if (!isDir) throw new SourceError(`${name('source')}: ${dir} is not a directory`);
    tree = scanDirectory(dir, { ...(fs.xattrs ? { xattrs: fs.xattrs } : {}), ...scan });
  }
  let deviceTable: { text: string; name: string } | undefined;
  if (fs.deviceTable !== undefined) {
    const path = resolve(baseDir, fs.deviceTable);
    try {
      deviceTable = { text: readFileSync(path, 'utf8'), name: path };
    } catch {
      throw new SourceError(`${name('device_table')}: cannot read ${path}`);
    }
  }
  const epoch = sourceDateEpoch(env);
  return finishTree(tree, fs, { ...(epoch !== undefined ? { epoch } : {}), ...(deviceTable ? { deviceTable } : {}) });
}
