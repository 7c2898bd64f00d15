/** The filesystem types fstool builds itself; any other type needs a plugin. */
export const EXT_TYPES = ['ext2', 'ext3', 'ext4'] as const;
export const FAT_TYPES = ['fat12', 'fat16', 'fat32', 'vfat'] as const;
export const BUILTIN_FS_TYPES = [...EXT_TYPES, ...FAT_TYPES] as const;
export type BuiltinFsType = (typeof BUILTIN_FS_TYPES)[number];

/** `/dev` entries pre-populated in an ext root filesystem. */
export type RootDevs = 'none' | 'minimal' | 'standard';

/** ext features to turn on and off relative to the type's defaults (`"^has_journal,extent"`). */
export interface FeatureSet {
  enable: string[];
  disable: string[];
}

/** Values of the `xattrs` key. */
export const XATTR_POLICIES = ['all', 'user', 'none'] as const;
export type XattrPolicy = (typeof XATTR_POLICIES)[number];

/**
 * One filesystem's options (a bare `[filesystem]` or a `[partitions.filesystem]`). An absent field
 * means "the driver's default". Sizes are bytes.
 */
export interface FilesystemSpec {
  /** `ext2`…`vfat` (lower-cased) or a plugin's type (as written). */
  type: string;
  /** Host directory as written in the spec; the facade resolves it against the spec file's directory. */
  source?: string;
  blockSize?: number;
  inodeSize?: number;
  inodes?: number;
  /** Bytes per inode (mke2fs `-i`). */
  inodeRatio?: number;
  /** Percentage of blocks reserved for root (mke2fs `-m`). */
  reservedPercent?: number;
  journalBlocks?: number;
  volumeLabel?: string;
  /** Lower-case `xxxxxxxx-xxxx-…` UUID, or `'random'`. */
  uuid?: string;
  /** Lower-case UUID, or `'random'`. */
  hashSeed?: string;
  /** Seconds since the epoch. */
  mtime?: number;
  sparse?: boolean;
  /**
   * Host xattrs copied from `source`: 'all', 'user' (user.* only) or 'none'; when not given,
   * user.*, trusted.* and security.* (capabilities, SELinux labels) are copied.
   */
  xattrs?: XattrPolicy;
  rootdevs?: RootDevs;
  /** genext2fs-style device table path, as written (resolved like `source`). */
  deviceTable?: string;
  squashOwner?: boolean;
  features?: FeatureSet;
  /** FAT volume serial number (32 bits). */
  volumeId?: number;
  /** FAT cluster size in bytes. */
  clusterSize?: number;
  /**
   * A plugin type's own keys, raw as written (the parser does not know them); the facade checks them
   * against the keys the plugin declares (`checkPluginKeys`).
   */
  pluginKeys?: Record<string, unknown>;
}

/** A bare filesystem image: the filesystem is the whole output. */
export interface BareFilesystemSpec extends FilesystemSpec {
  /** Bytes, or `'auto'`: the smallest size that holds `source` (the default). */
  size: number | 'auto';
}

/** The `[image]` table of a whole disk. */
export interface DiskSpec {
  /** Bytes, or `'auto'`: the smallest disk that holds every partition. */
  size: number | 'auto';
  partitionTable: 'mbr' | 'gpt';
  /** Partition start alignment in bytes (default 1 MiB). */
  alignment: number;
  /** Logical sector size in bytes (default 512). */
  sectorSize: 512 | 4096;
  /** GPT disk GUID (lower-case UUID). */
  diskGuid?: string;
  /** Seed every generated identifier is derived from, for reproducible builds. */
  seed?: string;
}

/** One `[[partitions]]` entry. */
export interface PartitionSpec {
  name?: string;
  /** An alias (`"linux"`, `"esp"`), an MBR type byte (`0x83` or `"0x83"`) or a GPT type GUID; resolved by the facade. */
  type: string | number;
  /** Bytes, `'auto'` (fit the filesystem), or `'remaining'` (the rest of the disk; last partition only). */
  size: number | 'auto' | 'remaining';
  /** GPT unique partition GUID (lower-case UUID). */
  guid?: string;
  /** MBR active flag; on GPT the legacy-BIOS-bootable attribute (bit 2). */
  bootable: boolean;
  /** GPT attribute bits: numbers 0–63 or names, resolved by the GPT package. */
  attributes: (number | string)[];
  filesystem?: FilesystemSpec;
}

/** The `[output]` table. An absent `format` lets the CLI flag or the output name decide. */
export interface OutputSpec {
  format?: 'raw' | 'qcow2';
  /** qcow2 cluster size in bytes. */
  clusterSize?: number;
  /** Write compressed qcow2 clusters. */
  compress?: boolean;
}

export interface FilesystemImage {
  kind: 'filesystem';
  filesystem: BareFilesystemSpec;
  output: OutputSpec;
  plugins: string[];
}

export interface DiskImage {
  kind: 'disk';
  image: DiskSpec;
  partitions: PartitionSpec[];
  output: OutputSpec;
  plugins: string[];
}

/** A validated spec. */
export type ImageSpec = FilesystemImage | DiskImage;
