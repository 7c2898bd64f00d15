import { collectTree, type Entry, type FsInfo, fileSystemTree, type Progress, type SourceTree } from '@fstool/fs';
import type { BackingPolicy } from '@fstool/qcow2/node';
import { type BareFilesystemSpec, type FilesystemImage, readFilesystemFlags } from '@fstool/spec';
import { isExtType, isFatType } from '../driver-options.js';
import type { DriverRegistry } from '../registry.js';
import { type BuildResult, buildImage } from './build-image.js';
import { parseImageRef, withFilesystem } from './image.js';
import type { LockOptions } from './lock.js';
import { type OutputFormat, outputFormat } from './output.js';
import { checkOutputPath } from './output-path.js';
import { isBlockDevicePath } from './target.js';

export interface RepackOptions {
  registry: DriverRegistry;
  /** Filesystem type to build (default: the source's). */
  fsType?: string;
  /** Bytes, or 'auto' for the smallest that holds the content (default: the source's size; a device's capacity). */
  size?: number | 'auto';
  /** Same as size 'auto'. */
  shrink?: boolean;
  /** ext block size, or FAT cluster size, in bytes. */
  blockSize?: number;
  format?: OutputFormat;
  /** Allow writing onto a block device. */
  force?: boolean;
  /** Which qcow2 backing files of the source may be followed. */
  backing?: BackingPolicy;
  /** How to take the locks on the source and an existing output (e.g. wait for an editor). */
  lock?: LockOptions;
  /** Logical sector size of the source's MBR (default: the device's, or probed). */
  sectorSize?: number;
  /** One message per kind of problem, with a count (not one per path). */
  onWarning?: (message: string) => void;
  onProgress?: (p: Progress) => void;
  /** Told before any writing that an existing output file will be replaced. */
  onReplace?: (output: string) => void;
}

/**
 * Rebuilds the filesystem `src` (`IMG` or `IMG:N`) into a fresh image `dst`, filesystem to
 * filesystem: the opened source is the build's SourceTree, so nothing goes through the host.
 * Metadata the target cannot hold is dropped by its driver; the warnings are summed up by kind.
 */
export async function repack(src: string, dst: string, opts: RepackOptions): Promise<BuildResult> {
  const { path } = parseImageRef(src);
  checkOutputPath(dst, [path]);
  outputFormat(dst, opts.format); // a name of another format is refused before the source is walked
  const open = {
    writable: false,
    ...opts.lock,
    ...(opts.sectorSize !== undefined ? { sectorSize: opts.sectorSize } : {}),
    ...(opts.backing ? { backing: opts.backing } : {}),
  };
  return withFilesystem(src, opts.registry, open, async (fs) => {
    // What the source's driver noticed on open (e.g. a journal replayed in memory).
    for (const w of fs.warnings) opts.onWarning?.(`${src}: ${w}`);
    const info = await fs.info();
    const type = opts.fsType ?? fs.type;
    opts.registry.get(type); // unknown types fail before any walk
    if (opts.blockSize !== undefined && (isExtType(type) || isFatType(type))) {
      // The spec's rules for the target type, before any walk; the problem names the flag.
      const key = isFatType(type) ? 'cluster_size' : 'block_size';
      readFilesystemFlags({ type, [key]: opts.blockSize }, { [key]: '--block-size' });
    }
    const spec: BareFilesystemSpec = {
      type,
      // On a block device 'auto' means its capacity, the natural default there.
      size: opts.shrink ? 'auto' : (opts.size ?? (isBlockDevicePath(dst) ? 'auto' : info.size)),
      ...sizing(fs.type, type, info, opts.blockSize),
      ...carriedIds(fs.type, type, info.label, info.uuid),
    };
    // Metadata in memory (contents stay lazy) so the planner and the driver can both walk it.
    const warnings = new WarningTally();
    const walk = fileSystemTree(fs, { onWarning: (m) => warnings.add(m) });
    const entries = dropFurniture(await collectTree(walk), fs.type, type);
    const tree: SourceTree = {
      async *entries() {
        yield* entries;
      },
    };
    const image: FilesystemImage = { kind: 'filesystem', filesystem: spec, output: {}, plugins: [] };
    const onProgress = opts.onProgress;
    const result = await buildImage(image, {
      output: dst,
      baseDir: process.cwd(),
      registry: opts.registry,
      trees: [tree],
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.force ? { force: true } : {}),
      ...(opts.lock ? { lock: opts.lock } : {}),
      ...(opts.onReplace ? { onReplace: opts.onReplace } : {}),
      ...(onProgress ? { onProgress: (_v: number, p: Progress) => onProgress(p) } : {}),
      onWarning: (m) => warnings.add(m),
    });
    const summary = warnings.summary();
    for (const m of summary) opts.onWarning?.(m);
    return { ...result, warnings: summary };
  });
}

/** Largest inode the ext builder writes; bigger source inodes (mke2fs -I 512) become this size. */
const EXT_MAX_INODE = 256;

/**
 * `--block-size`: the ext block size or the FAT cluster size. ext to ext keeps the source's block and
 * inode size by default: the content was laid out for them (an xattr block of 4 KiB fits no 1 KiB
 * block), whereas the builder's own default follows the output size.
 */
function sizing(from: string, to: string, info: FsInfo, blockSize: number | undefined): Partial<BareFilesystemSpec> {
  if (isFatType(to)) return blockSize === undefined ? {} : { clusterSize: blockSize };
  const keep = isExtType(from) && isExtType(to);
  const size = blockSize ?? (keep && typeof info.blockSize === 'number' ? info.blockSize : undefined);
  if (size === undefined) return {};
  const inodeSize =
    keep && typeof info.inodeSize === 'number' ? Math.min(info.inodeSize, EXT_MAX_INODE, size) : undefined;
  return { blockSize: size, ...(inodeSize !== undefined ? { inodeSize } : {}) };
}

/** Label and UUID stay where the target can hold them (root=UUID=… keeps working after ext → ext). */
function carriedIds(from: string, to: string, label?: string, uuid?: string): Partial<BareFilesystemSpec> {
  const out: Partial<BareFilesystemSpec> = {};
  if (label && (!isFatType(to) || /^[\x20-\x7e]{1,11}$/.test(label))) out.volumeLabel = label;
  if (uuid && isExtType(from) && isExtType(to)) out.uuid = uuid;
  if (uuid && isFatType(from) && isFatType(to) && /^[0-9a-f]{4}-[0-9a-f]{4}$/i.test(uuid)) {
    out.volumeId = Number.parseInt(uuid.replace('-', ''), 16);
  }
  return out;
}

/** ext's empty lost+found is filesystem furniture, not content: it does not move to another family. */
function dropFurniture(entries: Entry[], from: string, to: string): Entry[] {
  if (!isExtType(from) || isExtType(to)) return entries;
  if (entries.some((e) => e.path.startsWith('/lost+found/'))) return entries;
  return entries.filter((e) => e.path !== '/lost+found');
}

/** Sums per-path driver warnings ("/a/b: FAT cannot hold a symlink; skipped") into one line per kind. */
class WarningTally {
  readonly #kinds = new Map<string, { count: number; first: string }>();

  add(message: string): void {
    const m = /^(?:[^/]*: )?(\/[^\n]*?): (.+)$/.exec(message);
    const kind = m ? (m[2] as string) : message;
    const seen = this.#kinds.get(kind);
    if (seen) seen.count++;
    else this.#kinds.set(kind, { count: 1, first: m ? (m[1] as string) : '' });
  }

  summary(): string[] {
    return [...this.#kinds].map(([kind, { count, first }]) =>
      first ? `${kind} (${count} ${count === 1 ? 'entry' : 'entries'}, e.g. ${first})` : kind,
    );
  }
}
