/** Streaming conversions between a raw device and a qcow2 image, skipping zero runs. */
import { type BlockDevice, copy } from '@fstool/blockdev';
import { Qcow2Device } from './device.js';
import type { Qcow2Info } from './info.js';
import type { CreateOptions } from './options.js';

export interface ConvertOptions
  extends Omit<CreateOptions, 'virtualSize' | 'backing' | 'backingFile' | 'backingFormat'> {
  onProgress?: (done: number, total: number) => void;
  /** Bytes per read/write (default 4 MiB; a multiple of the cluster size). */
  chunkSize?: number;
}

/**
 * Writes all of `src` into a new qcow2 image in `container`; returns the image's header summary.
 * All-zero clusters stay unallocated; with `compress` every data cluster is deflated. The
 * container is closed when done (the image owns it); `src` is left open.
 */
export async function convertToQcow2(
  src: BlockDevice,
  container: BlockDevice,
  opts: ConvertOptions = {},
): Promise<Qcow2Info> {
  const { onProgress, chunkSize, ...create } = opts;
  const q = await Qcow2Device.create(container, { ...create, virtualSize: src.size }).catch(async (err) => {
    await container.close();
    throw err;
  });
  try {
    // The new image reads zeros: zero clusters are skipped, data goes in whole clusters (as compression needs).
    const copyOpts = {
      skipZeros: true,
      chunkSize: chunkSize ?? Math.max(4 * 1024 * 1024, q.clusterSize),
      blockSize: q.clusterSize,
    };
    await copy(src, q, onProgress ? { ...copyOpts, onProgress } : copyOpts);
    await q.flush();
    return await q.info();
  } finally {
    await q.close();
  }
}

/**
 * Copies a qcow2 image (or any device) into `dst`, which must already read as zeros (a fresh
 * sparse file): zero runs are skipped and stay holes. Returns the bytes actually written.
 */
export async function convertToRaw(
  src: BlockDevice,
  dst: BlockDevice,
  opts: { onProgress?: (done: number, total: number) => void; chunkSize?: number } = {},
): Promise<number> {
  const copyOpts = { skipZeros: true, chunkSize: opts.chunkSize ?? 4 * 1024 * 1024 };
  return copy(src, dst, opts.onProgress ? { ...copyOpts, onProgress: opts.onProgress } : copyOpts);
}
