import { FsError } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';

/**
 * Every entry at and below `path`, parents before children (siblings in name order). Each
 * directory is entered once: a damaged image whose directory loops back is reported, not followed.
 */
export async function* walk(fs: FileSystem, path: string): AsyncGenerator<Entry> {
  const top = await fs.stat(path);
  const seen = new Set<number>();
  const stack: Entry[] = [top];
  while (stack.length) {
    const e = stack.pop() as Entry;
    yield e;
    if (e.kind !== 'dir') continue;
    if (e.ino !== undefined) {
      if (seen.has(e.ino)) throw new FsError('CORRUPT', `${e.path}: directory loop (inode ${e.ino})`);
      seen.add(e.ino);
    }
    const children = await fs.list(e.path);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Entry);
  }
}
