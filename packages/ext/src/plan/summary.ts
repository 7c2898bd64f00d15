/**
 * One pass over a SourceTree: every entry's metadata in a flat table (O(entries)), with parent
 * links, children in tree order, hard-link groups resolved and file holes asked for once.
 * Nothing here reads file contents except a source's own `holes()` (which, with `zeros`, reads
 * files to find their all-zero blocks).
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { type Entry, encodeName, InvalidPathError, type SourceTree } from '@fstool/fs';

/** Files smaller than this are not asked for holes (an open per small file costs more than a hole saves). */
export const HOLE_SCAN_MIN = 64 * 1024;

export interface TreeNode {
  entry: Entry;
  /** Index of the parent directory node (the root is its own parent). */
  parent: number;
  /** Name in UTF-8 ('' for the root). */
  name: Uint8Array;
  /** Children in tree order (directories only). */
  children?: number[];
  /** For a hard link after the first: the node holding the inode. */
  linkOf?: number;
  /** Directory entries pointing at this inode (hard links), counted on the primary node. */
  links: number;
  /** Number of subdirectories (directories only). */
  subdirs: number;
  /** Holes of a file as [offset, length], ascending. */
  holes?: Array<[number, number]>;
}

export interface TreeSummary {
  nodes: TreeNode[];
  /** Nodes that need an inode of their own (everything but extra hard links). */
  inodeCount: number;
  /** Newest mtime in the tree (seconds), the default creation time. */
  newestMtime: number;
  /** Index of /lost+found when the tree has one. */
  lostFound?: number;
  /** Holes include all-zero blocks of written data (the `sparse` option). */
  zeroHoles: boolean;
}

/**
 * A name's UTF-8 bytes. Short ASCII names (nearly all) are copied in JS: a TextEncoder call costs
 * more, and its result has an off-heap backing store per name for the GC to track.
 */
function nameBytes(name: string): Uint8Array {
  const n = name.length;
  if (n > 64) return encodeName(name);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return encodeName(name);
    out[i] = c;
  }
  return out;
}

/** Reads a tree's metadata (and file holes; with `zeroHoles`, all-zero blocks too) into a TreeSummary. */
export async function summarize(tree: SourceTree, zeroHoles: boolean): Promise<TreeSummary> {
  const nodes: TreeNode[] = [];
  const byPath = new Map<string, number>();
  const linkFirst = new Map<string, number>();
  let newestMtime = Number.NEGATIVE_INFINITY;
  let inodeCount = 0;
  for await (const entry of tree.entries()) {
    const path = entry.path;
    const index = nodes.length;
    let parent = index;
    if (index === 0) {
      if (path !== '/' || entry.kind !== 'dir')
        throw new InvalidPathError(path, 'a tree must start with its root directory');
    } else {
      // Tree paths are normalized ('/a/b'): the parent is everything before the last slash.
      const slash = path.lastIndexOf('/');
      const p = byPath.get(slash === 0 ? '/' : path.slice(0, slash));
      if (p === undefined)
        throw new InvalidPathError(path, 'comes before its parent directory (trees list parents first)');
      parent = p;
      const pn = nodes[p] as TreeNode;
      if (!pn.children) throw new InvalidPathError(path, `parent ${pn.entry.path} is not a directory`);
      pn.children.push(index);
      if (entry.kind === 'dir') pn.subdirs++;
    }
    const node: TreeNode = {
      entry,
      parent,
      name: index === 0 ? new Uint8Array(0) : nameBytes(path.slice(path.lastIndexOf('/') + 1)),
      links: 1,
      subdirs: 0,
    };
    if (node.name.length > 255) throw new InvalidPathError(path, 'name is longer than 255 bytes');
    if (entry.kind === 'dir') node.children = [];
    if (entry.linkId !== undefined && entry.kind !== 'dir') {
      const first = linkFirst.get(entry.linkId);
      if (first !== undefined) {
        node.linkOf = first;
        (nodes[first] as TreeNode).links++;
      } else linkFirst.set(entry.linkId, index);
    }
    if (node.linkOf === undefined) inodeCount++;
    if (byPath.has(path)) throw new InvalidPathError(path, 'appears twice in the tree');
    byPath.set(path, index);
    nodes.push(node);
    if (entry.mtime > newestMtime) newestMtime = entry.mtime;
    if (entry.kind === 'file' && node.linkOf === undefined) {
      if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw new InvalidArgumentError(`${path}: bad size ${entry.size}`);
      }
      if (entry.size > 0 && !entry.open) throw new InvalidArgumentError(`${path}: a file with contents needs open()`);
      if (entry.size >= HOLE_SCAN_MIN && entry.open) {
        const src = entry.open();
        try {
          const holes = await src.holes?.({ zeros: zeroHoles });
          if (holes?.length) node.holes = holes;
        } finally {
          await src.close();
        }
      }
    }
  }
  if (nodes.length === 0) throw new InvalidArgumentError('the tree is empty (no root directory)');
  const lostFound = byPath.get('/lost+found');
  const summary: TreeSummary = {
    nodes,
    inodeCount,
    newestMtime: Number.isFinite(newestMtime) ? newestMtime : 0,
    zeroHoles,
  };
  if (lostFound !== undefined) {
    if ((nodes[lostFound] as TreeNode).entry.kind !== 'dir')
      throw new InvalidPathError('/lost+found', 'must be a directory');
    summary.lostFound = lostFound;
  }
  return summary;
}
