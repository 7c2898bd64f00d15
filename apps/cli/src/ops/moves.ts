import { basename, type FileSystem, joinPath } from '@fstool/fs';
import { need, statIfAny } from './need.js';

/** Where `from` lands for `to`: inside `to` when that is an existing directory (as mv and ln do). */
async function landing(fs: FileSystem, from: string, to: string): Promise<string> {
  return (await statIfAny(fs, to))?.kind === 'dir' ? joinPath(to, basename(from)) : to;
}

/** mv: renames, or moves into an existing directory. */
export async function move(fs: FileSystem, from: string, to: string): Promise<string> {
  const dest = await landing(fs, from, to);
  await need(fs, 'rename')(from, dest);
  return dest;
}

/** ln TARGET NAME (hard), ln -s TARGET NAME (symlink: TARGET is stored as written). */
export async function makeLink(fs: FileSystem, target: string, name: string, symbolic: boolean): Promise<string> {
  const dest = await landing(fs, target, name);
  if (!symbolic) {
    await need(fs, 'link')(target, dest);
    return dest;
  }
  const now = Math.floor(Date.now() / 1000);
  await fs.add(dest, {
    path: dest,
    kind: 'symlink',
    target,
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: now,
    size: new TextEncoder().encode(target).length,
  });
  return dest;
}
