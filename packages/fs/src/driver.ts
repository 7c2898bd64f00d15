import type { BlockDevice } from '@fstool/blockdev';
import type { Entry, SourceTree } from './entry.js';

/** Progress of a long operation, in bytes (or items where bytes make no sense). */
export interface Progress {
  phase: string;
  done: number;
  total: number;
}

/** What every build receives besides the driver's own options. */
export interface BuildContext {
  /** The filesystem type asked for (a driver may serve several, e.g. ext2/ext3/ext4). */
  type: string;
  onProgress?: (p: Progress) => void;
  /** Non-fatal problems (an entry the filesystem cannot hold, a value clamped), naming the path. */
  onWarning?: (message: string) => void;
}

export interface BuildReport {
  type: string;
  /** Size of the filesystem in bytes. */
  size: number;
  /** Bytes in use after the build (data and metadata). */
  usedBytes: number;
  /** Entries written. */
  entries: number;
  warnings: string[];
  /** Driver-specific facts (block size, inode count, UUID, …) for summaries and `--json`. */
  details: Record<string, unknown>;
}

/** What `info()` returns: common keys first, anything the driver wants to add after. */
export interface FsInfo {
  type: string;
  size: number;
  label?: string;
  uuid?: string;
  blockSize?: number;
  blocks?: number;
  freeBlocks?: number;
  inodes?: number;
  freeInodes?: number;
  features?: string[];
  [key: string]: unknown;
}

/** What `setAttributes` changes; absent fields stay as they are. Times are seconds since the epoch. */
export interface Attributes {
  /** Permission bits (0o7777); the type stays. */
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  mtimeNsec?: number;
  atime?: number;
  atimeNsec?: number;
}

/** The verdict of `FileSystem.check()`: `problems` empty means clean. */
export interface CheckReport {
  problems: string[];
  /** What was looked at, for the summary line ('12 groups, 2048 inodes'). */
  checked: string;
}

/** An opened filesystem. Paths are absolute inside the filesystem ('/etc/hosts'). */
export interface FileSystem {
  readonly type: string;
  readonly writable: boolean;
  /** Problems found on open (a checksum mismatch read anyway, a journal needing recovery). */
  readonly warnings: readonly string[];
  info(): Promise<FsInfo>;
  /** Metadata of one path; symlinks are not followed. Files come with `open()`. */
  stat(path: string): Promise<Entry>;
  /** Children of a directory, sorted by name, without '.' and '..'. */
  list(path: string): Promise<Entry[]>;
  /** Streams a file's contents; holes read as zeros. */
  read(path: string): AsyncIterable<Uint8Array>;
  /**
   * Creates `path` from `entry` (file contents through `entry.open()`, a directory, symlink or node).
   * An existing non-directory at `path` is replaced; the parent must exist.
   */
  add(path: string, entry: Entry): Promise<void>;
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /** Changes mode bits, owner or times of `path` itself (a symlink is not followed). */
  setAttributes?(path: string, attrs: Attributes): Promise<void>;
  /**
   * Moves `from` to `to` in one step: an existing non-directory at `to` is replaced, an existing
   * directory is an error; a directory cannot move below itself.
   */
  rename?(from: string, to: string): Promise<void>;
  /** Makes `newPath` a hard link to the non-directory `existing`. */
  link?(existing: string, newPath: string): Promise<void>;
  /** The filesystem's own consistency check (read-only): what it finds, with where. */
  check?(): Promise<CheckReport>;
  /**
   * Runs `fn`, whose edits (calls of `add`, `remove`, …) the filesystem may then write together:
   * e.g. one journal transaction per journal-full of operations instead of one per operation.
   * A crash inside may lose some of them, never leave damage. Optional: callers without it just call `fn`.
   */
  batch?<T>(fn: () => Promise<T>): Promise<T>;
  /** Flushes everything and leaves the image consistent. */
  close(): Promise<void>;
}

/**
 * One key a plugin takes from its filesystem table in the spec. Plain data, so a plugin needs no
 * import to declare it; fstool checks the value and hands it to `build`/`minimumSize` in camelCase.
 */
export interface SpecKey {
  /** `size` is bytes, written as a number or a string like "64KiB"; `integer` is a whole number. */
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'size';
  /** One line for `fstool schema` and for readers of the plugin. */
  readonly description?: string;
  /** The only values allowed. */
  readonly enum?: readonly (string | number)[];
  /** Inclusive bounds of an integer, number or size. */
  readonly min?: number;
  readonly max?: number;
  /** The spec must give it. */
  readonly required?: boolean;
  /** What the options hold when the spec leaves the key out. */
  readonly default?: string | number | boolean;
}

/**
 * A filesystem plugin. Built-in drivers and third-party ones implement the same contract and are
 * handed to the facade's registry explicitly; nothing is discovered by magic.
 */
export interface FileSystemDriver<Options extends object = Record<string, unknown>> {
  /** The main type name ('ext4', 'vfat', 'btrfs', …). */
  readonly type: string;
  /** Other names this driver builds or answers to ('ext2', 'ext3', 'fat32', …). */
  readonly aliases?: readonly string[];
  /**
   * The keys its spec tables may hold besides the common ones (`type`, `source`, `size`,
   * `volume_label`, `mtime`, `xattrs`, `rootdevs`, `device_table`, `squash_owner`), by their spec
   * name (snake_case). Any other key is an error. Built-in drivers leave it out: the spec parser knows theirs.
   */
  readonly specKeys?: Readonly<Record<string, SpecKey>>;
  /** True when the device holds this driver's filesystem. Must not throw on garbage. */
  probe(dev: BlockDevice): Promise<boolean>;
  /** Smallest device size in bytes that `build` needs for this tree and these options. */
  minimumSize?(tree: SourceTree, opts: Options, ctx: BuildContext): Promise<number>;
  /** Writes a new filesystem filling `dev` from `tree`. Checks fit before writing anything. */
  build(dev: BlockDevice, tree: SourceTree, opts: Options, ctx: BuildContext): Promise<BuildReport>;
  open(dev: BlockDevice, opts: { writable: boolean }): Promise<FileSystem>;
}

/**
 * A driver that sizes its filesystem (`minimumSize` present), as the built-in ext and FAT drivers
 * do: what a caller holding one may call `minimumSize` on without a check.
 */
export type SizedDriver<Options extends object = Record<string, unknown>> = FileSystemDriver<Options> &
  Required<Pick<FileSystemDriver<Options>, 'minimumSize'>>;

/** Identity helper that gives a plugin object its type: `export default defineDriver({ ... })`. */
export function defineDriver<Options extends object>(driver: FileSystemDriver<Options>): FileSystemDriver<Options> {
  return driver;
}
