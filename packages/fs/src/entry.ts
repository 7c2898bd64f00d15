/** The kinds of filesystem object fstool moves between trees and images. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** Readable contents of a regular file, opened lazily (never read at scan time). */
export interface ContentSource {
  /** Reads up to `into.length` bytes at `offset`; resolves to the count read (0 at the end). */
  read(offset: number, into: Uint8Array): Promise<number>;
  /** Synchronous fast path where the source has one (host files: ~30x cheaper per small file). */
  readSync?(offset: number, into: Uint8Array): number;
  /**
   * Holes as [offset, length] pairs, ascending, when the source knows them; data elsewhere.
   * `zeros`: also report runs of all-zero blocks in written data (reads the contents to find them).
   */
  holes?(opts?: { zeros?: boolean }): Promise<Array<[number, number]>>;
  close(): Promise<void>;
}

/**
 * One object of a tree: metadata plus, for files, lazy contents.
 * Times are whole seconds since the epoch (may be negative or past 2^32) with optional nanoseconds.
 */
export interface Entry {
  /** Absolute path inside the tree: '/' for the root, '/etc/passwd' below it. */
  path: string;
  kind: EntryKind;
  /** Permission bits including setuid/setgid/sticky (0o7777); the type is in `kind`. */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  mtimeNsec?: number;
  atime?: number;
  atimeNsec?: number;
  ctime?: number;
  ctimeNsec?: number;
  /** Creation time, where the source or filesystem keeps one. */
  crtime?: number;
  crtimeNsec?: number;
  /** Bytes of content for files; length of the target for symlinks; 0 otherwise. */
  size: number;
  /** Symlink target. */
  target?: string;
  /** Device number of char and block devices. */
  rdev?: { major: number; minor: number };
  /** Extended attributes by full name (`user.x`, `security.selinux`, …). */
  xattrs?: Map<string, Uint8Array>;
  /** Entries sharing a linkId are hard links to one inode; the first in tree order carries the content. */
  linkId?: string;
  /** Hard-link count as the source reports it (informational; writers count links themselves). */
  nlink?: number;
  /**
   * Identity of the object inside its filesystem (ext: the inode number; FAT: the first cluster of a
   * directory). Walks use it to visit each directory once, whatever loops a damaged image holds.
   */
  ino?: number;
  /** Opens the contents of a file. */
  open?(): ContentSource;
}

/** A tree of entries: parents before children, siblings sorted by name (UTF-8 byte order). */
export interface SourceTree {
  entries(): AsyncIterable<Entry>;
}
