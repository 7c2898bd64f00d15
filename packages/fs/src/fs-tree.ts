import type { FileSystem } from './driver.js';
import type { Entry, SourceTree } from './entry.js';
import { compareNames, joinPath } from './path.js';
import { streamSource } from './stream-source.js';

/** The last component of a path as a driver may give it ('/a/b', 'b'). */
function lastName(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? '';
}

/**
 * An opened filesystem as a SourceTree (what `repack` copies from): a depth-first walk with
 * `stat`/`list`, in tree order. File contents come from the entry's own `open()` when the driver
 * gives one (it may know holes), else from `fs.read` streamed a chunk at a time. Hard links are
 * kept when the driver sets `linkId`. Each directory is visited once, by `ino` where the driver
 * gives it: a second name for a directory (a directory hard link, or a loop in a damaged image)
 * is left out with a warning, so the walk stays linear and ends.
 */
export function fileSystemTree(fs: FileSystem, opts: { onWarning?: (message: string) => void } = {}): SourceTree {
  const withContent = (e: Entry, path: string): Entry => {
    const out: Entry = { ...e, path };
    if (e.kind === 'file' && !e.open) out.open = () => streamSource(() => fs.read(path));
    return out;
  };
  return {
    async *entries() {
      const root = withContent(await fs.stat('/'), '/');
      yield root;
      if (root.kind !== 'dir') return;
      const stack: Array<{ dir: string; children: Entry[]; i: number }> = [];
      const push = async (dir: string) => {
        const children = (await fs.list(dir)).map((c) => withContent(c, joinPath(dir, lastName(c.path))));
        children.sort((a, b) => compareNames(lastName(a.path), lastName(b.path)));
        stack.push({ dir, children, i: 0 });
      };
      await push('/');
      const visited = new Map<number, string>();
      if (root.ino !== undefined) visited.set(root.ino, '/');
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const e = top.children[top.i++];
        if (!e) {
          stack.pop();
          continue;
        }
        if (e.kind === 'dir' && e.ino !== undefined) {
          const first = visited.get(e.ino);
          if (first !== undefined) {
            opts.onWarning?.(
              `${e.path}: a second name of a directory already copied (a directory hard link); left out`,
            );
            continue;
          }
          visited.set(e.ino, e.path);
        }
        yield e;
        if (e.kind === 'dir') await push(e.path);
      }
    },
  };
}
