/**
 * Node helpers: qcow2 images in host files, backing files resolved next to the image (within the
 * policy of `./node/backing.ts`), and the file-level convert/check/info operations the CLI calls.
 */
import { dirname, extname, resolve } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { type CheckReport, check } from './check.js';
import { type ConvertOptions, convertToQcow2, convertToRaw } from './convert.js';
import { Qcow2Device } from './device.js';
import { BackingFileError } from './errors.js';
import type { Qcow2Info } from './info.js';
import { type BackingPolicy, backingOpener, chainContext } from './node/backing.js';
import { DeflatePool } from './node/deflate-pool.js';
import type { CacheOptions, CreateOptions } from './options.js';
import { isQcow2, readQcow2Info } from './probe.js';

export {
  type BackingLink,
  type BackingPolicy,
  backingChain,
  MAX_BACKING_DEPTH,
} from './node/backing.js';
export { DeflatePool } from './node/deflate-pool.js';

export interface CreateQcow2FileOptions extends Omit<CreateOptions, 'virtualSize' | 'backing'> {
  /** Defaults to the backing file's size when there is one. */
  virtualSize?: number;
  /** Replace an existing file (default false). */
  overwrite?: boolean;
  /** Which backing files the chain below `backingFile` may follow (`backingFile` itself is the caller's choice). */
  backingPolicy?: BackingPolicy;
}

export interface OpenQcow2FileOptions extends CacheOptions {
  writable?: boolean;
  compress?: boolean;
  /** Which backing files may be followed (default: only inside the image's directory tree). */
  backing?: BackingPolicy;
}

/** Creates a qcow2 file and opens it for writing; a relative `backingFile` is taken from the image's directory. */
export async function createQcow2File(path: string, opts: CreateQcow2FileOptions = {}): Promise<Qcow2Device> {
  const { overwrite, virtualSize, backingPolicy, ...rest } = opts;
  let backing: BlockDevice | undefined;
  if (opts.backingFile !== undefined) {
    const named = resolve(dirname(path), opts.backingFile);
    const policy = { ...backingPolicy, allow: [...(backingPolicy?.allow ?? []), named] };
    const ctx = { roots: [dirname(resolve(path))], policy, seen: [resolve(path)] };
    backing = await backingOpener(path, ctx)(opts.backingFile, opts.backingFormat);
  }
  const size = virtualSize ?? backing?.size;
  if (size === undefined) {
    await backing?.close();
    throw new BackingFileError(`createQcow2File ${path}: give virtualSize (or a backing file to take it from)`);
  }
  try {
    const file = await FileDevice.create(path, { size: 0, growable: true, overwrite: overwrite ?? false });
    return await Qcow2Device.create(file, { ...rest, virtualSize: size, ...(backing ? { backing } : {}) });
  } catch (err) {
    await backing?.close();
    throw err;
  }
}

/**
 * Opens a qcow2 file, following its backing chain (read-only) within `opts.backing`; with
 * `follow: false` unallocated clusters read as zeros and writing is refused.
 */
export async function openQcow2File(path: string, opts: OpenQcow2FileOptions = {}): Promise<Qcow2Device> {
  const { backing: policy, ...rest } = opts;
  const writable = opts.writable ?? false;
  const file = await FileDevice.open(path, { writable, growable: writable });
  try {
    const links =
      policy?.follow === false
        ? { ignoreBacking: true }
        : { openBacking: backingOpener(path, await chainContext(path, policy)) };
    return await Qcow2Device.open(file, { ...rest, ...links });
  } catch (err) {
    await file.close();
    throw err;
  }
}

export type ImageFormat = 'qcow2' | 'raw';

/** Opens a disk image file of either format: qcow2 when it has the magic, raw otherwise. */
export async function openImageFile(
  path: string,
  opts: { writable?: boolean; backing?: BackingPolicy } = {},
): Promise<{ format: ImageFormat; device: BlockDevice }> {
  const file = await FileDevice.open(path, { writable: opts.writable ?? false });
  const qcow = await isQcow2(file).catch(async (err) => {
    await file.close();
    throw err;
  });
  if (!qcow) return { format: 'raw', device: file };
  await file.close();
  return { format: 'qcow2', device: await openQcow2File(path, opts) };
}

/** The format an output path asks for: `.qcow2`/`.qcow`/`.q2` mean qcow2 (as the original fstool did), anything else raw. */
export function formatFromPath(path: string): ImageFormat {
  const ext = extname(path).toLowerCase();
  return ext === '.qcow2' || ext === '.qcow' || ext === '.q2' ? 'qcow2' : 'raw';
}

export interface ConvertFileOptions extends ConvertOptions {
  /** Output format (default: from the output's extension). */
  format?: ImageFormat;
  overwrite?: boolean;
  /** Which backing files of the input may be followed. */
  backing?: BackingPolicy;
}

/**
 * Converts between raw and qcow2 files (either direction, or re-packing qcow2), streaming and sparse.
 * The output is left to the page cache, as qemu-img leaves it (no background syncs).
 */
export async function convertFile(
  input: string,
  output: string,
  opts: ConvertFileOptions = {},
): Promise<{ format: ImageFormat; info?: Qcow2Info; bytesWritten?: number }> {
  const { format: wanted, overwrite, backing, ...convert } = opts;
  const format = wanted ?? formatFromPath(output);
  const { format: from, device: src } = await openImageFile(input, backing ? { backing } : {});
  // A raw input's extent map (a filefrag run) is started now, so it runs while the output is made.
  if (from === 'raw') src.dataRanges?.(0, Math.min(1, src.size)).catch(() => undefined);
  try {
    if (format === 'qcow2') {
      const out = await FileDevice.create(output, {
        size: 0,
        growable: true,
        overwrite: overwrite ?? false,
        sync: false,
      });
      if (!convert.compress || convert.deflater) return { format, info: await convertToQcow2(src, out, convert) };
      const pool = new DeflatePool();
      try {
        return { format, info: await convertToQcow2(src, out, { ...convert, deflater: pool.deflate }) };
      } finally {
        await pool.close();
      }
    }
    const out = await FileDevice.create(output, { size: src.size, overwrite: overwrite ?? false, sync: false });
    try {
      const progress = convert.onProgress ? { onProgress: convert.onProgress } : {};
      return { format, bytesWritten: await convertToRaw(src, out, progress) };
    } finally {
      await out.close();
    }
  } finally {
    await src.close();
  }
}

/** `qemu-img check` for a file; `repair` opens it writable and fixes leaks and refcounts. */
export async function checkQcow2File(path: string, opts: { repair?: boolean } = {}): Promise<CheckReport> {
  const file = await FileDevice.open(path, { writable: opts.repair ?? false, growable: opts.repair ?? false });
  try {
    return await check(file, opts);
  } finally {
    await file.close();
  }
}

/** The header summary of a qcow2 file (`fstool info`). */
export async function qcow2FileInfo(path: string): Promise<Qcow2Info> {
  const file = await FileDevice.open(path);
  try {
    return await readQcow2Info(file);
  } finally {
    await file.close();
  }
}
