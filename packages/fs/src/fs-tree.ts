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
 * kept when the driver sets `linkId`.
 */
export function fileSystemTree(fs: FileSystem): SourceTree {
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
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const e = top.children[top.i++];
        if (!e) {
          stack.pop();
          continue;
        }
        yield e;
        if (e.kind === 'dir') await push(e.path);
      }
    },
  };
}
