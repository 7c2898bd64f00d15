import { basename, resolve } from 'node:path';
import { FsError } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';
import { collectTree, dirname, joinPath } from '@fstool/fs';
import { hostEntry, scanDirectory } from '@fstool/fs/node';
import { assertParent, statOrUndefined } from './lookup.js';
import { makeDirectory } from './mkdir.js';

/** An add that stopped part-way: says what went in and what did not. */
export class PartialAddError extends FsError {
  constructor(
    readonly added: number,
    readonly total: number,
    readonly failedAt: string,
    cause: FsError,
  ) {
    const rest = total - added - 1;
    super(
      cause.code,
      `${cause.message}\nadded ${added} of ${total} entries; not added: ${failedAt}` +
        (rest > 0 ? ` and the ${rest} after it in tree order` : ''),
      { cause },
    );
  }
}

/**
 * Where a host path lands, as `cp -a` decides: onto an existing directory it goes inside, under
 * its own name, and that name must be free; a file, link or node may replace an existing
 * non-directory only when `dest` names it. A new `dest` needs its parent (or `parents`).
 */
async function targetOf(fs: FileSystem, top: Entry, host: string, dest: string, parents: boolean): Promise<string> {
  const existing = await statOrUndefined(fs, dest);
  if (existing?.kind === 'dir') {
    const inside = joinPath(dest, basename(resolve(host)));
    const there = await statOrUndefined(fs, inside);
    if (there) {
      throw new FsError(
        'EEXIST',
        top.kind === 'dir' || there.kind === 'dir'
          ? `${inside}: already exists; directories are not merged (remove it first, or add to another place)`
          : `${inside}: already exists; to replace it, name it as the destination`,
      );
    }
    return inside;
  }
  if (existing) {
    if (top.kind === 'dir')
      throw new FsError('EEXIST', `${dest}: already exists and is a ${existing.kind}, not a directory`);
    return dest;
  }
  if (parents) await makeDirectory(fs, dirname(dest), { parents: true, mode: 0o755 });
  else await assertParent(fs, dest);
  return dest;
}

/**
 * Copies a host file, link, node or whole directory into an image, like `cp -a` (see targetOf).
 * A directory tree is scanned first (metadata only), so a failure part-way reports how much of
 * it went in. Resolves to the number of entries added.
 */
export async function addHostPath(
  fs: FileSystem,
  host: string,
  dest: string,
  o: { parents?: boolean } = {},
): Promise<number> {
  const top = hostEntry(host);
  const target = await targetOf(fs, top, host, dest, o.parents ?? false);
  if (top.kind !== 'dir') {
    await fs.add(target, { ...top, path: target });
    return 1;
  }
  const entries = await collectTree(scanDirectory(host));
  let added = 0;
  const copy = async () => {
    for (const e of entries) {
      const path = e.path === '/' ? target : joinPath(target, e.path);
      try {
        await fs.add(path, { ...e, path });
      } catch (err) {
        if (err instanceof FsError) throw new PartialAddError(added, entries.length, path, err);
        throw err;
      }
      added++;
    }
    return added;
  };
  // One batch: the filesystem may journal many entries per transaction (what went in before a
  // failure is still committed, so the count above stays true).
  return fs.batch ? fs.batch(copy) : copy();
}
