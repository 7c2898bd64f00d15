/**
 * Options of the ext writer and how they resolve into a feature set and defaults for ext2/3/4,
 * following current mke2fs (`/etc/mke2fs.conf`).
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { type FeatureName, type FeatureSet, featureBit, hasFeature, RO_COMPAT } from '../format/superblock.js';

export type ExtType = 'ext2' | 'ext3' | 'ext4';

/** Options of `extDriver.build` / `minimumSize` (all optional; defaults as mke2fs). */
export interface ExtOptions {
  /** 1024, 2048 or 4096; default chosen from the size as mke2fs does (1024 below 512 MiB). */
  blockSize?: number;
  /** 128 or 256 (default 256). */
  inodeSize?: number;
  /** Exact inode count (rounded up to fill whole inode-table blocks in every group). */
  inodes?: number;
  /** Bytes per inode (default 16384, or 4096/8192 for small images as mke2fs). */
  inodeRatio?: number;
  /** Percentage of blocks reserved for root (default 5). */
  reservedPercent?: number;
  /** Volume label, up to 16 bytes of UTF-8. */
  label?: string;
  /** Filesystem UUID ('xxxxxxxx-xxxx-…'); random when not given. */
  uuid?: string;
  /** Directory hash seed (UUID form); random when not given. */
  hashSeed?: string;
  /** Features to add or remove: `{ enable: ['inline_data'], disable: ['huge_file'] }` or `'+a,-b,c'`. */
  features?: string | { enable?: readonly string[]; disable?: readonly string[] };
  /** Journal size in blocks or bytes (ext3/ext4); default as mke2fs for the filesystem size. */
  journalBlocks?: number;
  journalSize?: number;
  /** Extra space for `minimumSize`, as a fraction of the bytes the tree needs (default 0). */
  headroom?: number;
  /** Extra inodes for `minimumSize`, as a fraction of the inodes the tree needs (default 0). */
  inodeHeadroom?: number;
  /**
   * `minimumSize` returns the bare fit (a fit check): without the room an auto-sized filesystem
   * gets (a default journal for ext3/ext4, AUTO_FREE_BLOCKS free blocks). Default false.
   */
  fitOnly?: boolean;
  /** Filesystem creation time (seconds) for the superblock and created entries; default: newest mtime in the tree, else 0. */
  createdAt?: number;
  /** The device reads as zeros (a fresh sparse file): all-zero blocks are skipped. Default false. */
  zeroed?: boolean;
  /**
   * All-zero blocks of files (of 64 KiB and more) become holes, as genext2fs makes them; false
   * keeps them allocated. Finding them reads those files once more before the build. Default true.
   */
  sparse?: boolean;
}

/** mke2fs' base features plus the per-type ones of mke2fs.conf. */
const DEFAULTS: Record<ExtType, FeatureName[]> = {
  ext2: ['ext_attr', 'resize_inode', 'dir_index', 'filetype', 'sparse_super', 'large_file'],
  ext3: ['ext_attr', 'resize_inode', 'dir_index', 'filetype', 'sparse_super', 'large_file', 'has_journal'],
  ext4: [
    'ext_attr',
    'resize_inode',
    'dir_index',
    'filetype',
    'sparse_super',
    'large_file',
    'has_journal',
    'extent',
    'huge_file',
    'flex_bg',
    'metadata_csum',
    '64bit',
    'dir_nlink',
    'extra_isize',
  ],
};

/** Features this writer can produce; anything else asked for is refused. */
const SUPPORTED = new Set<string>([
  ...DEFAULTS.ext4,
  'uninit_bg',
  'sparse_super',
  'large_dir',
  'metadata_csum_seed',
  'inline_data',
]);

export function extType(type: string): ExtType {
  if (type === 'ext2' || type === 'ext3' || type === 'ext4') return type;
  throw new InvalidArgumentError(`unknown ext type ${JSON.stringify(type)} (ext2, ext3 or ext4)`);
}

/** Parses `'+a,-b,c'` (or `^b` as mke2fs spells a removal) into lists. */
export function parseFeatureList(spec: ExtOptions['features']): { enable: string[]; disable: string[] } {
  if (spec === undefined) return { enable: [], disable: [] };
  if (typeof spec !== 'string') return { enable: [...(spec.enable ?? [])], disable: [...(spec.disable ?? [])] };
  const enable: string[] = [];
  const disable: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    if (item.startsWith('-') || item.startsWith('^')) disable.push(item.slice(1));
    else enable.push(item.startsWith('+') ? item.slice(1) : item);
  }
  return { enable, disable };
}

/** The feature words for a type with the caller's changes; unknown or unsupported names are errors. */
export function resolveFeatures(type: ExtType, opts: ExtOptions): FeatureSet {
  const f: FeatureSet = { compat: 0, incompat: 0, roCompat: 0 };
  const set = (name: string, on: boolean) => {
    const b = featureBit(name);
    if (!b) throw new InvalidArgumentError(`unknown ext feature ${JSON.stringify(name)}`);
    if (on && !SUPPORTED.has(name === 'extents' ? 'extent' : name)) {
      throw new InvalidArgumentError(`ext feature ${name} is not supported by the writer`);
    }
    f[b.word] = on ? (f[b.word] | b.bit) >>> 0 : (f[b.word] & ~b.bit) >>> 0;
  };
  for (const name of DEFAULTS[type]) set(name, true);
  const { enable, disable } = parseFeatureList(opts.features);
  for (const name of enable) set(name, true);
  for (const name of disable) set(name, false);
  // Features that imply or exclude others, as mke2fs resolves them.
  if (hasFeature(f, 'metadata_csum')) f.roCompat &= ~RO_COMPAT.uninit_bg;
  if (opts.inodeSize === 128) f.roCompat &= ~RO_COMPAT.extra_isize;
  if (hasFeature(f, 'metadata_csum_seed') && !hasFeature(f, 'metadata_csum')) {
    throw new InvalidArgumentError('metadata_csum_seed needs metadata_csum');
  }
  if (hasFeature(f, 'inline_data') && (!hasFeature(f, 'ext_attr') || opts.inodeSize === 128)) {
    // The system.data attribute that marks inline data lives in the inode's extra space.
    throw new InvalidArgumentError('inline_data needs ext_attr and 256-byte inodes');
  }
  if (!hasFeature(f, 'extent') && hasFeature(f, '64bit')) {
    throw new InvalidArgumentError('64bit needs the extent feature');
  }
  return { compat: f.compat >>> 0, incompat: f.incompat >>> 0, roCompat: f.roCompat >>> 0 };
}
