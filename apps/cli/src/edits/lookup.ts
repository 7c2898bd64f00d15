import { FsError } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';
import { dirname, NotDirectoryError } from '@fstool/fs';

/** `fs.stat`, with a missing path as undefined. */
export async function statOrUndefined(fs: FileSystem, path: string): Promise<Entry | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The directory that will hold `path` must exist: otherwise the error names the first missing
 * ancestor (or the ancestor that is not a directory), so the user knows what -p would create.
 */
export async function assertParent(fs: FileSystem, path: string): Promise<void> {
  const parent = dirname(path);
  const e = await statOrUndefined(fs, parent);
  if (e?.kind === 'dir') return;
  if (e) throw new NotDirectoryError(parent);
  let missing = parent;
  while (dirname(missing) !== missing && !(await statOrUndefined(fs, dirname(missing)))) missing = dirname(missing);
  throw new FsError('ENOENT', `${missing}: no such directory (pass -p to create the missing parents of ${path})`);
}
