import type { Entry, SourceTree } from './entry.js';
import { InvalidPathError } from './errors.js';
import { comparePaths } from './memory-tree.js';
import { normalizePath } from './path.js';

/** One change to a tree: what to put at `path`, given what the tree has there. */
export interface OverlayItem {
  path: string;
  /** The entry for `path`; `base` is the tree's entry there, or undefined when there is none. */
  apply(base: Entry | undefined): Entry;
  /** Where the item comes from ('table.txt:12'), prefixed to errors about it. */
  origin?: string;
}

export interface OverlayOptions {
  /**
   * What to do when an item's parent directory is in neither the tree nor the overlay: 'create' it
   * (0755 root:root, with `parentTime` as its times; the default) or throw.
   */
  missingParents?: 'create' | 'error';
  parentTime?: number;
}

interface Pending {
  path: string;
  items: OverlayItem[];
}

/**
 * Streams `tree` with items added or replacing entries, keeping tree order. Items for one path
 * apply in the order given. Replacing a directory by a non-directory is refused (its children
 * would be orphans); so is adding below something that is not a directory.
 */
export function overlayTree(tree: SourceTree, items: Iterable<OverlayItem>, opts: OverlayOptions = {}): SourceTree {
  const byPath = new Map<string, Pending>();
  for (const item of items) {
    const path = normalizePath(item.path);
    const p = byPath.get(path);
    if (p) p.items.push(item);
    else byPath.set(path, { path, items: [item] });
  }
  const sorted = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  return {
    async *entries() {
      // Ancestors of the last entry emitted (itself included), to see whether a parent exists.
      const stack: Entry[] = [];
      let next = 0;
      const where = (p: Pending) => {
        const o = p.items[0]?.origin;
        return o ? `${o}: ` : '';
      };
      const NONE: Entry[] = [];
      /** Checks `e`'s parent against what was emitted; returns parent directories to emit first. */
      const place = (e: Entry, pending?: Pending): Entry[] => {
        let made = NONE;
        if (e.path !== '/') {
          const at = () => (pending ? where(pending) : '');
          const parent = parentOf(e.path);
          while (stack.length && !isAncestor(stack[stack.length - 1]!.path, e.path)) stack.pop();
          const top = stack[stack.length - 1];
          if (top && top.kind !== 'dir') throw new InvalidPathError(e.path, `${at()}${top.path} is not a directory`);
          if (top && top.path !== parent) {
            // Parent directories the tree lacks: only overlay entries can get here.
            if (opts.missingParents === 'error') {
              throw new InvalidPathError(e.path, `${at()}parent directory ${parent} does not exist`);
            }
            const t = opts.parentTime ?? 0;
            made = missingBetween(top.path, parent).map(
              (dir): Entry => ({
                path: dir,
                kind: 'dir',
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: t,
                atime: t,
                ctime: t,
                size: 0,
              }),
            );
            stack.push(...made);
          }
        }
        stack.push(e);
        return made;
      };
      const applyAll = (p: Pending, base: Entry | undefined) => {
        let e = base;
        for (const item of p.items) {
          const out = item.apply(e);
          if (e?.kind === 'dir' && out.kind !== 'dir') {
            throw new InvalidPathError(
              p.path,
              `${item.origin ? `${item.origin}: ` : ''}cannot replace a directory by a ${out.kind}`,
            );
          }
          e = { ...out, path: p.path };
        }
        return e as Entry;
      };
      for await (const base of tree.entries()) {
        while (next < sorted.length) {
          const p = sorted[next]!;
          const d = comparePaths(p.path, base.path);
          if (d > 0) break;
          next++;
          const e = applyAll(p, d === 0 ? base : undefined);
          yield* place(e, p);
          yield e;
          if (d === 0) break;
        }
        if (stack[stack.length - 1]?.path !== base.path) {
          place(base);
          yield base;
        }
      }
      for (; next < sorted.length; next++) {
        const p = sorted[next]!;
        const e = applyAll(p, undefined);
        yield* place(e, p);
        yield e;
      }
    },
  };
}

/** dirname() for the normalised paths of a tree, without re-normalising (hot: once per entry). */
function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function isAncestor(dir: string, path: string): boolean {
  return dir === '/' || (path.length > dir.length && path.charCodeAt(dir.length) === 0x2f && path.startsWith(dir));
}

/** Directories strictly below `top` down to `parent` inclusive, outermost first. */
function missingBetween(top: string, parent: string): string[] {
  const out: string[] = [];
  for (let d = parent; d !== top && d !== '/'; d = parentOf(d)) out.unshift(d);
  return out;
}
