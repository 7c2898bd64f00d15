import { formatSize, InvalidArgumentError } from '@fstool/blockdev';
import { describe } from './describe.js';
import { isPowerOfTwo, orList, type RawIssue, readInt, TableReader, type TomlTable } from './reader.js';
import { didYouMean } from './suggest.js';
import {
  type BareFilesystemSpec,
  BUILTIN_FS_TYPES,
  EXT_TYPES,
  FAT_TYPES,
  type FilesystemSpec,
  XATTR_POLICIES,
} from './types.js';
import { readFeatures, readMtime, readUuidOrRandom, readVolumeId } from './values.js';

/** Keys fstool reads for every filesystem type (the tree keys shape the files, whatever holds them). */
const TREE_KEYS = ['xattrs', 'rootdevs', 'device_table', 'squash_owner'];
export const COMMON_KEYS = ['type', 'source', 'size', 'volume_label', 'mtime', ...TREE_KEYS];
const EXT_KEYS = [
  'block_size',
  'inode_size',
  'inodes',
  'inode_ratio',
  'reserved_percent',
  'journal_blocks',
  'uuid',
  'hash_seed',
  'sparse',
  'features',
];
const FAT_KEYS = ['volume_id', 'cluster_size'];
const FILESYSTEM_KEYS = [...COMMON_KEYS, ...EXT_KEYS, ...FAT_KEYS];

type Family = 'ext' | 'fat' | 'plugin';

const powers = (min: number, max: number) => `a power of two from ${min} to ${max}`;

function inRange(t: TableReader, key: string, value: number | undefined, min: number, max: number) {
  if (value === undefined || (value >= min && value <= max)) return value;
  t.fail(key, `must be from ${formatSize(min)} to ${formatSize(max)}, got ${formatSize(value)}`);
  return undefined;
}

function readChoice(v: unknown, allowed: readonly number[]): number | { error: string } {
  const n = readInt(v, 0, Number.MAX_SAFE_INTEGER);
  if (typeof n === 'number' && allowed.includes(n)) return n;
  return { error: `must be ${orList(allowed)}, got ${describe(v)}` };
}

function readPowerOfTwo(v: unknown, min: number, max: number, why = ''): number | { error: string } {
  const n = readInt(v, 0, Number.MAX_SAFE_INTEGER);
  if (typeof n === 'number' && isPowerOfTwo(n) && n >= min && n <= max) return n;
  return { error: `must be ${powers(min, max)}${why}, got ${describe(v)}` };
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** ext: up to 16 bytes of UTF-8. FAT: up to 11 characters that a short name may hold. */
function readLabel(v: unknown, family: Family | undefined): string | { error: string } {
  if (typeof v !== 'string') return { error: `must be a string, got ${describe(v)}` };
  if (family === 'ext') {
    const bytes = utf8Length(v);
    if (bytes > 16) return { error: `must be at most 16 bytes for ext, got ${bytes} (${JSON.stringify(v)})` };
  }
  if (family === 'fat') {
    if (v.length > 11)
      return { error: `must be at most 11 characters for FAT, got ${v.length} (${JSON.stringify(v)})` };
    const bad = /[^\x20-\x7e]|["*+,./:;<=>?[\\\]|]/.exec(v);
    if (bad !== null) {
      return {
        error: `must not contain ${JSON.stringify(bad[0])} (FAT labels are printable ASCII without "*+,./:;<=>?[\\]|)`,
      };
    }
  }
  return v;
}

/** Keys of the other family, named so the user knows which one they set by mistake. */
function rejectKeys(t: TableReader, keys: readonly string[], why: string): void {
  for (const key of keys) {
    if (!t.has(key)) continue;
    t.raw(key);
    t.fail(key, why);
  }
}

/** Rules between ext keys. */
function checkExt(t: TableReader, type: string, fs: Partial<BareFilesystemSpec>): void {
  if (fs.inodes !== undefined && fs.inodeRatio !== undefined) {
    t.fail('inode_ratio', 'cannot be set together with inodes (set one of them)');
  }
  if (fs.journalBlocks !== undefined) {
    const on = fs.features?.enable.includes('has_journal') ?? false;
    const off = fs.features?.disable.includes('has_journal') ?? false;
    if (type === 'ext2' && !on) t.fail('journal_blocks', 'needs a journal: ext2 has none (use ext3 or ext4)');
    if (type !== 'ext2' && off) t.fail('journal_blocks', 'needs a journal, but features turns has_journal off');
  }
}

function readType(t: TableReader, plugins: boolean): { type: string; family: Family } | undefined {
  const type = t.string('type');
  if (type === undefined) return undefined;
  const lower = type.trim().toLowerCase();
  if ((EXT_TYPES as readonly string[]).includes(lower)) return { type: lower, family: 'ext' };
  if ((FAT_TYPES as readonly string[]).includes(lower)) return { type: lower, family: 'fat' };
  if (plugins) return { type, family: 'plugin' };
  t.fail(
    'type',
    `must be ${orList(BUILTIN_FS_TYPES)} (or a plugin's type, with plugins = [...] declared), ` +
      `got ${describe(type)}${didYouMean(lower, BUILTIN_FS_TYPES)}`,
  );
  return undefined;
}

type Setter = <K extends keyof BareFilesystemSpec>(key: K, value: BareFilesystemSpec[K] | undefined) => void;

/** Keys that shape the tree: fstool applies them before any driver sees it. */
function readTreeKeys(t: TableReader, set: Setter): void {
  set('xattrs', t.oneOf('xattrs', XATTR_POLICIES));
  set('rootdevs', t.oneOf('rootdevs', ['none', 'minimal', 'standard'] as const));
  set('deviceTable', t.string('device_table'));
  set('squashOwner', t.bool('squash_owner'));
}

/** ext keys: exact mke2fs rules for ext types, plain shape checks when the type is unknown. */
function readExtKeys(t: TableReader, family: Family | undefined, set: Setter): void {
  const blockSize = t.value('block_size', (v) =>
    family === 'ext' ? readChoice(v, [1024, 2048, 4096]) : readPowerOfTwo(v, 512, 2 ** 20),
  );
  set('blockSize', blockSize);
  set(
    'inodeSize',
    t.value('inode_size', (v) => {
      // mke2fs: a power of two, at least the old 128-byte inode, at most one block.
      const max = family === 'ext' ? (blockSize ?? 4096) : 2 ** 20;
      return readPowerOfTwo(v, 128, max, blockSize === undefined ? '' : ` (the block size is ${blockSize})`);
    }),
  );
  set('inodes', t.int('inodes', 1, 2 ** 32 - 1));
  // mke2fs -i: from the smallest block size to 1024 times the largest.
  set('inodeRatio', inRange(t, 'inode_ratio', t.size('inode_ratio'), 1024, 64 * 2 ** 20));
  set('reservedPercent', t.number('reserved_percent', 0, 50));
  // mke2fs refuses journals outside 1024..10240000 blocks.
  set('journalBlocks', t.int('journal_blocks', 1024, 10_240_000));
  set('uuid', t.value('uuid', readUuidOrRandom));
  set('hashSeed', t.value('hash_seed', readUuidOrRandom));
  set('sparse', t.bool('sparse'));
  if (t.has('features')) {
    const { set: features, problems } = readFeatures(t.raw('features'));
    for (const problem of problems) t.fail('features', problem);
    if (problems.length === 0) set('features', features);
  }
}

/** FAT keys: a cluster is 1 to 128 sectors of 512 bytes. */
function readFatKeys(t: TableReader, family: Family | undefined, set: Setter): void {
  set('volumeId', t.value('volume_id', readVolumeId));
  const cluster = t.size('cluster_size');
  if (cluster !== undefined && family !== 'plugin' && !(isPowerOfTwo(cluster) && cluster >= 512 && cluster <= 65536)) {
    t.fail('cluster_size', `must be ${powers(512, 65536)} bytes, got ${cluster}`);
  } else set('clusterSize', cluster);
}

/**
 * Reads a filesystem table. `bare` is true for a top-level `[filesystem]` (which has a `size`);
 * `plugins` says whether plugin types are allowed (their type-specific checks are the facade's).
 */
export function readFilesystem(t: TableReader, bare: true, plugins: boolean): BareFilesystemSpec | undefined;
export function readFilesystem(t: TableReader, bare: false, plugins: boolean): FilesystemSpec | undefined;
export function readFilesystem(t: TableReader, bare: boolean, plugins: boolean): FilesystemSpec | undefined {
  t.require('type', `${orList(BUILTIN_FS_TYPES)}${plugins ? " or a plugin's type" : ''}`);
  const kind = readType(t, plugins);
  const family = kind?.family;

  const fs: Partial<BareFilesystemSpec> = {};
  const set: Setter = (key, value) => {
    if (value !== undefined) fs[key] = value;
  };

  set('source', t.string('source'));
  if (bare) {
    const size = t.size('size', ['auto']);
    if (size === 0) t.fail('size', 'must be more than 0 bytes');
    else set('size', size ?? 'auto');
  } else if (t.has('size')) {
    t.raw('size');
    t.fail('size', "is not allowed here: a partition's filesystem fills its partition (set the partition's size)");
  }
  set(
    'volumeLabel',
    t.value('volume_label', (v) => readLabel(v, family)),
  );
  set('mtime', t.value('mtime', readMtime));

  if (family === 'plugin') {
    readTreeKeys(t, set);
    // The plugin declares the rest; the facade checks them once it is loaded.
    const rest = t.rest();
    if (Object.keys(rest).length > 0) fs.pluginKeys = rest;
  } else {
    // Keys of the other family are reported as such rather than checked against rules that do not apply.
    if (family === 'fat')
      rejectKeys(t, [...EXT_KEYS, ...TREE_KEYS], `is an ext option; ${kind?.type} is a FAT filesystem`);
    else {
      readTreeKeys(t, set);
      readExtKeys(t, family, set);
    }
    if (family === 'ext') rejectKeys(t, FAT_KEYS, `is a FAT option; ${kind?.type} is an ext filesystem`);
    else readFatKeys(t, family, set);
    t.finish(FILESYSTEM_KEYS, {
      options: "the original fstool's options table is not supported: write its keys in this table",
    });
  }
  if (kind === undefined) return undefined;
  if (family === 'ext') checkExt(t, kind.type, fs);
  return { type: kind.type, ...fs } as FilesystemSpec;
}

/**
 * Checks a bare filesystem given as command-line flags by the same rules as a `[filesystem]` table.
 * `values` holds the flags' parsed values under their spec keys (`block_size`); `flags` names the
 * flag each key came from, so a problem says `--block-size`, not `block_size` or `blockSize`.
 * Throws InvalidArgumentError with every problem, one per line.
 */
export function readFilesystemFlags(values: TomlTable, flags: Readonly<Record<string, string>>): BareFilesystemSpec {
  const issues: RawIssue[] = [];
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  const fs = readFilesystem(new TableReader(issues, [], defined, undefined, flags), true, false);
  if (issues.length > 0 || fs === undefined) throw new InvalidArgumentError(issues.map((i) => i.message).join('\n'));
  return fs;
}
