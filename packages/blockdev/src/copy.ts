import type { BlockDevice } from './device.js';
import { InvalidArgumentError } from './errors.js';
import { isZero } from './zero.js';

export interface CopyOptions {
  /** Bytes to copy (default: the whole source). */
  length?: number;
  srcOffset?: number;
  dstOffset?: number;
  /**
   * Leave all-zero blocks unwritten. Only correct when the destination already reads zeros
   * there (a freshly created sparse file, a new qcow2): then zero runs stay holes.
   */
  skipZeros?: boolean;
  /** Chunk size for reads and writes (default 4 MiB). */
  chunkSize?: number;
  /** Granularity of zero detection (default 4 KiB). */
  blockSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Bytes of the source whose data ranges are asked at a time (bounds the list's length). */
const MAP_WINDOW = 2 ** 30;

/**
 * Moves bytes between devices in large chunks; returns the number of bytes actually written.
 * Where the source tells its data ranges (`dataRanges`), only those are read: the rest is zeros,
 * skipped with `skipZeros` and zeroed on the destination otherwise.
 */
export async function copy(src: BlockDevice, dst: BlockDevice, opts: CopyOptions = {}): Promise<number> {
  const srcOffset = opts.srcOffset ?? 0;
  const dstOffset = opts.dstOffset ?? 0;
  const total = opts.length ?? src.size - srcOffset;
  const chunkSize = opts.chunkSize ?? 4 * 1024 * 1024;
  const blockSize = opts.blockSize ?? 4096;
  if (chunkSize % blockSize !== 0) {
    throw new InvalidArgumentError(`chunk size ${chunkSize} is not a multiple of block size ${blockSize}`);
  }
  const buf = new Uint8Array(Math.min(chunkSize, Math.max(total, 0)));
  let written = 0;

  /** Copies [from, to) of the copy (offsets relative to its start) through the buffer. */
  const copyRange = async (from: number, to: number) => {
    for (let done = from; done < to; ) {
      const n = Math.min(buf.length, to - done);
      const chunk = buf.subarray(0, n);
      await src.read(srcOffset + done, chunk);
      if (!opts.skipZeros) {
        await dst.write(dstOffset + done, chunk);
        written += n;
      } else {
        // Write each maximal run of non-zero blocks as one request.
        let runStart = -1;
        for (let at = 0; at <= n; at += blockSize) {
          const zero = at < n ? isZero(chunk.subarray(at, Math.min(at + blockSize, n))) : true;
          if (!zero && runStart < 0) runStart = at;
          if (zero && runStart >= 0) {
            const end = Math.min(at, n);
            await dst.write(dstOffset + done + runStart, chunk.subarray(runStart, end));
            written += end - runStart;
            runStart = -1;
          }
        }
      }
      done += n;
      opts.onProgress?.(done, total);
    }
  };
  /** A stretch the source says is zeros. */
  const gap = async (from: number, to: number) => {
    if (from >= to) return;
    if (!opts.skipZeros) await dst.zero(dstOffset + from, to - from);
    opts.onProgress?.(to, total);
  };

  if (!src.dataRanges) {
    await copyRange(0, total);
    return written;
  }
  const window = Math.max(MAP_WINDOW, chunkSize);
  for (let w = 0; w < total; w += window) {
    const wEnd = Math.min(total, w + window);
    let at = w;
    for (const [a, b] of await src.dataRanges(srcOffset + w, wEnd - w)) {
      // Ranges may start or end mid-block: round out, so zero detection sees whole blocks.
      const from = Math.max(at, Math.floor((a - srcOffset) / blockSize) * blockSize);
      const to = Math.min(wEnd, Math.ceil((b - srcOffset) / blockSize) * blockSize);
      if (to <= from) continue;
      await gap(at, from);
      await copyRange(from, to);
      at = to;
    }
    await gap(at, wEnd);
  }
  return written;
}
