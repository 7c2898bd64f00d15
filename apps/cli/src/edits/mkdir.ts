import { InvalidArgumentError } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';
import { ExistsError, joinPath, NotDirectoryError } from '@fstool/fs';
import { assertParent, statOrUndefined } from './lookup.js';

/** `--mode 750`: octal permission bits, at most 7777; anything else is an error, never 0 or 07777. */
export function parseMode(value: string): number {
  if (!/^[0-7]{1,4}$/.test(value)) {
    throw new InvalidArgumentError(`--mode must be octal permission bits (0 to 7777), got "${value}"`);
  }
  return Number.parseInt(value, 8);
}

/**
 * mkdir, or mkdir -p, with POSIX semantics: an existing path is an error, except with `parents`
 * when it is a directory (left as it is: its mode never changes). Without `parents` the parent
 * must exist. Each directory made is root-owned with `mode`.
 */
export async function makeDirectory(
  fs: FileSystem,
  path: string,
  o: { parents: boolean; mode: number },
): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const dir = (p: string): Entry => ({ path: p, kind: 'dir', mode: o.mode, uid: 0, gid: 0, mtime: now, size: 0 });
  if (!o.parents) {
    if (await statOrUndefined(fs, path)) throw new ExistsError(path);
    await assertParent(fs, path);
    return fs.add(path, dir(path));
  }
  let at = '/';
  for (const part of path.split('/').filter(Boolean)) {
    at = joinPath(at, part);
    const existing = await statOrUndefined(fs, at);
    if (!existing) await fs.add(at, dir(at));
    else if (existing.kind !== 'dir') throw new NotDirectoryError(at);
  }
}
