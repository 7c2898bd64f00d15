import type { BlockDevice, DataRange } from './device.js';
import { InvalidArgumentError } from './errors.js';
import { dataRuns } from './zero.js';

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

/**
 * Bytes of the source whose data ranges are asked first; the window doubles while answers stay
 * short (bounding the list's length without a thousand questions about an empty 1 TiB).
 */
const MAP_WINDOW = 2 ** 30;
/** Ranges in one answer below which the next window doubles, up to MAX_WINDOW. */
const FEW_RANGES = 1024;
const MAX_WINDOW = 16 * 2 ** 30;
/** Holes between data ranges up to this size are read through: one large read beats two small ones. */
const BRIDGE = 256 * 1024;

/** One piece of the copy: [from, to) relative to its start, to be read, or known to be zeros. */
interface Step {
  from: number;
  to: number;
  data: boolean;
}

/**
 * Moves bytes between devices in large chunks; returns the number of bytes actually written.
 * Where the source tells its data ranges (`dataRanges`), only those are read: the rest is zeros,
 * skipped with `skipZeros` and zeroed on the destination otherwise. The next chunk is read while
 * the previous one is written (two buffers), across the holes between ranges too.
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
  const size = Math.min(chunkSize, Math.max(total, 0));
  const bufs = [new Uint8Array(size), new Uint8Array(size)];
  let turn = 0;
  let written = 0;
  /** The write of the previous chunk, running while the next one is read. */
  let writing: Promise<void> = Promise.resolve();

  /** Writes a chunk read at `at`: whole, or each maximal run of non-zero blocks as one request. */
  const put = async (at: number, chunk: Uint8Array) => {
    const n = chunk.length;
    if (!opts.skipZeros) {
      await dst.write(dstOffset + at, chunk);
      written += n;
    } else {
      for (const [from, to] of dataRuns(chunk, blockSize)) {
        await dst.write(dstOffset + at + from, chunk.subarray(from, to));
        written += to - from;
      }
    }
    opts.onProgress?.(at + n, total);
  };
  const step = async ({ from, to, data }: Step) => {
    if (!data) {
      await writing;
      if (!opts.skipZeros) await dst.zero(dstOffset + from, to - from);
      opts.onProgress?.(to, total);
      return;
    }
    for (let at = from; at < to; ) {
      const n = Math.min(size, to - at);
      const chunk = (bufs[turn++ % 2] as Uint8Array).subarray(0, n);
      await src.read(srcOffset + at, chunk);
      await writing;
      writing = put(at, chunk);
      // Handled here too: a failure is thrown by the next await of it, not as an unhandled rejection.
      writing.catch(() => undefined);
      at += n;
    }
  };

  try {
    for await (const s of plan(src, srcOffset, total, blockSize, chunkSize)) await step(s);
    await writing;
  } finally {
    // A failed read leaves the last write running: wait for it before the caller closes anything.
    await writing.catch(() => undefined);
  }
  return written;
}

/** The copy's steps in order: data ranges rounded out to whole blocks, small holes bridged. */
async function* plan(
  src: BlockDevice,
  srcOffset: number,
  total: number,
  blockSize: number,
  chunkSize: number,
): AsyncGenerator<Step> {
  if (!src.dataRanges) {
    if (total > 0) yield { from: 0, to: total, data: true };
    return;
  }
  let window = Math.max(MAP_WINDOW, chunkSize);
  /** Everything before this is planned. */
  let done = 0;
  /** The data run being gathered: ranges join it while the holes between them are small. */
  let run: DataRange | undefined;
  for (let w = 0; w < total; ) {
    const ranges = await src.dataRanges(srcOffset + w, Math.min(total, w + window) - w);
    w += window;
    if (ranges.length < FEW_RANGES) window = Math.max(window, Math.min(MAX_WINDOW, window * 2));
    for (const [a, b] of ranges) {
      // Ranges may start or end mid-block: round out, so zero detection sees whole blocks.
      const from = Math.max(run ? run[1] : done, Math.floor((a - srcOffset) / blockSize) * blockSize);
      const to = Math.min(total, Math.ceil((b - srcOffset) / blockSize) * blockSize);
      if (to <= from) continue;
      if (run && from - run[1] <= BRIDGE) {
        run[1] = to;
        continue;
      }
      if (run) {
        yield { from: run[0], to: run[1], data: true };
        done = run[1];
      }
      if (from > done) yield { from: done, to: from, data: false };
      run = [from, to];
    }
  }
  if (run) {
    yield { from: run[0], to: run[1], data: true };
    done = run[1];
  }
  if (done < total) yield { from: done, to: total, data: false };
}
