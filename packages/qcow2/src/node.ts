/**
 * Node helpers: qcow2 images in host files, backing files resolved next to the image, and the
 * file-level convert/check/info operations the CLI calls.
 */
import { realpath } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { type CheckReport, check } from './check.js';
import { type ConvertOptions, convertToQcow2, convertToRaw } from './convert.js';
import { Qcow2Device } from './device.js';
import { BackingFileError } from './errors.js';
import type { Qcow2Info } from './info.js';
import { DeflatePool } from './node/deflate-pool.js';
import type { CacheOptions, CreateOptions } from './options.js';
import { isQcow2, readQcow2Info } from './probe.js';

export { DeflatePool } from './node/deflate-pool.js';

export interface CreateQcow2FileOptions extends Omit<CreateOptions, 'virtualSize' | 'backing'> {
  /** Defaults to the backing file's size when there is one. */
  virtualSize?: number;
  /** Replace an existing file (default false). */
  overwrite?: boolean;
}

export interface OpenQcow2FileOptions extends CacheOptions {
  writable?: boolean;
  compress?: boolean;
}

/** Creates a qcow2 file and opens it for writing; a relative `backingFile` is taken from the image's directory. */
export async function createQcow2File(path: string, opts: CreateQcow2FileOptions = {}): Promise<Qcow2Device> {
  const { overwrite, virtualSize, ...rest } = opts;
  let backing: BlockDevice | undefined;
  if (opts.backingFile !== undefined) {
    const target = resolve(dirname(path), opts.backingFile);
    backing = await openChain(target, opts.backingFormat, [], path, opts.backingFile);
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

/** Opens a qcow2 file, following its backing chain (read-only) from the image's directory. */
export async function openQcow2File(path: string, opts: OpenQcow2FileOptions = {}): Promise<Qcow2Device> {
  const writable = opts.writable ?? false;
  const file = await FileDevice.open(path, { writable, growable: writable });
  try {
    const self = await realpath(path);
    return await Qcow2Device.open(file, { ...opts, openBacking: opener(path, [self]) });
  } catch (err) {
    await file.close();
    throw err;
  }
}

export type ImageFormat = 'qcow2' | 'raw';

/** Opens a disk image file of either format: qcow2 when it has the magic, raw otherwise. */
export async function openImageFile(
  path: string,
  opts: { writable?: boolean } = {},
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
  const { format: wanted, overwrite, ...convert } = opts;
  const format = wanted ?? formatFromPath(output);
  const { device: src } = await openImageFile(input);
  try {
    if (format === 'qcow2') {
      const out = await FileDevice.create(output, {
        size: 0,
        growable: true,
        overwrite: overwrite ?? false,
        writeBehind: false,
      });
      if (!convert.compress || convert.deflater) return { format, info: await convertToQcow2(src, out, convert) };
      const pool = new DeflatePool();
      try {
        return { format, info: await convertToQcow2(src, out, { ...convert, deflater: pool.deflate }) };
      } finally {
        await pool.close();
      }
    }
    const out = await FileDevice.create(output, { size: src.size, overwrite: overwrite ?? false, writeBehind: false });
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

function opener(imagePath: string, chain: string[]) {
  return (name: string, format: string | undefined) =>
    openChain(resolve(dirname(imagePath), name), format, chain, imagePath, name);
}

/** Opens one backing file (read-only): qcow2 recursively, raw as a plain file. */
async function openChain(
  path: string,
  format: string | undefined,
  chain: string[],
  parent: string,
  name: string,
): Promise<BlockDevice> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    throw new BackingFileError(`backing file "${name}" of ${parent} does not exist (looked for ${path})`, {
      cause: err,
    });
  }
  if (chain.includes(real)) {
    throw new BackingFileError(`backing file chain loops: ${[...chain, real].join(' -> ')}`);
  }
  const file = await FileDevice.open(path);
  try {
    if (format !== 'raw' && (await isQcow2(file))) {
      return await Qcow2Device.open(file, { openBacking: opener(path, [...chain, real]) });
    }
    if (format === 'qcow2') throw new BackingFileError(`backing file ${path} of ${parent} is not a qcow2 image`);
    return file;
  } catch (err) {
    await file.close();
    throw err;
  }
}
