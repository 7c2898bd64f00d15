import type { ContentSource, Entry, SourceTree } from './entry.js';
import { InvalidPathError } from './errors.js';
import { codePointRank, compareAsBytes, dirname, normalizePath } from './path.js';

/** Contents held in memory, for tests, small generated files and browsers. */
export function bytesSource(data: Uint8Array): ContentSource {
  const readSync = (offset: number, into: Uint8Array) => {
    const n = Math.max(0, Math.min(into.length, data.length - offset));
    into.set(data.subarray(offset, offset + n));
    return n;
  };
  return { readSync, read: async (o, i) => readSync(o, i), close: async () => {} };
}

/**
 * A SourceTree over a list of entries given in any order: sorted into tree order (parents first,
 * siblings by name), with a root directory added when missing and missing parents reported.
 */
export function treeFromEntries(list: Iterable<Entry>, root?: Partial<Entry>): SourceTree {
  const byPath = new Map<string, Entry>();
  for (const e of list) {
    const path = normalizePath(e.path);
    if (byPath.has(path)) throw new InvalidPathError(path, 'appears twice in the tree');
    byPath.set(path, { ...e, path });
  }
  if (!byPath.has('/')) {
    byPath.set('/', { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, ...root });
  }
  for (const path of byPath.keys()) {
    if (path === '/') continue;
    const parent = byPath.get(dirname(path));
    if (!parent) throw new InvalidPathError(path, `parent directory ${dirname(path)} is not in the tree`);
    if (parent.kind !== 'dir') throw new InvalidPathError(path, `parent ${parent.path} is not a directory`);
  }
  const sorted = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  return {
    async *entries() {
      yield* sorted;
    },
  };
}

/**
 * Tree order: a directory before everything inside it, siblings by name (depth-first). Equal to
 * comparing normalised paths component by component with compareNames, in one pass: '/' ends a
 * component, so it sorts before any other character.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return compareAsBytes(a, b, i, true);
    return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Reads a whole tree's metadata into memory (O(entries); contents stay lazy). */
export async function collectTree(tree: SourceTree): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of tree.entries()) out.push(e);
  return out;
}
