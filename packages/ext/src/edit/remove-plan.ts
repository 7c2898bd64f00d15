import { FsError } from '@fstool/blockdev';
import { FT } from '../format/dirent.js';
import { readDir } from '../read/dir.js';
import { type Inode, inodeKind, readInode } from '../read/inode.js';
import type { Volume } from '../read/volume.js';

/**
 * Walks the tree under directory `top` (at `path`) before `rm -r` changes anything. Every
 * directory must be reached exactly once: a directory with a second name (a directory hard link,
 * which debugfs `link` makes, or a loop in a damaged image) would make the removal exponential or
 * free an inode that another name still uses, and depth is bounded. Either is refused up front,
 * with nothing removed, instead of failing half-way.
 */
export async function checkRemovableTree(vol: Volume, path: string, top: Inode, maxDepth: number): Promise<void> {
  const seen = new Map<number, string>([[top.ino, path]]);
  const stack: Array<{ path: string; inode: Inode; depth: number }> = [{ path, inode: top, depth: 0 }];
  for (let at = stack.pop(); at; at = stack.pop()) {
    for (const r of await readDir(vol, at.inode)) {
      if (r.name === '.' || r.name === '..') continue;
      if (r.fileType !== FT.dir && r.fileType !== FT.unknown) continue;
      const child = `${at.path}/${r.name}`;
      const inode = await readInode(vol, r.ino);
      if (inodeKind(inode) !== 'dir') continue;
      const first = seen.get(r.ino);
      if (first !== undefined) {
        throw new FsError(
          'CORRUPT',
          `${child}: a second name of directory ${first} (inode ${r.ino}: a directory hard link or loop); ` +
            'nothing was removed (e2fsck -f repairs it)',
        );
      }
      if (at.depth + 1 > maxDepth) throw new FsError('CORRUPT', `${child}: directories nested deeper than ${maxDepth}`);
      seen.set(r.ino, child);
      stack.push({ path: child, inode, depth: at.depth + 1 });
    }
  }
}
