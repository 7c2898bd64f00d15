import type { BlockDevice, DataRange } from './device.js';
import { InvalidArgumentError } from './errors.js';
import { settleAll } from './settle.js';
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
 * Chunks in flight at once. Reads run ahead of the writes (each into its own buffer) and the
 * writes overlap: the kernel's page-cache copies keep libuv's threads and every core busy, as
 * `qemu-img convert` keeps several requests in flight.
 */
const DEPTH = 4;

/**
 * Moves bytes between devices in large chunks; returns the number of bytes actually written.
 * Where the source tells its data ranges (`dataRanges`), only those are read: the rest is zeros,
 * skipped with `skipZeros` and zeroed on the destination otherwise. Up to DEPTH chunks are in
 * flight, across the holes between ranges too; the destination's writes are always issued in
 * source order, so a device that places data as it comes (qcow2) lays it out the same every run.
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
  const bufs: Uint8Array[] = [];
  /** What each buffer is busy with: its chunk's read and then write. */
  const busy: Promise<void>[] = [];
  let turn = 0;
  let written = 0;
  /** Progress reported so far: chunks may finish out of order, the figure never goes back. */
  let progressed = 0;
  const progress = (done: number) => {
    progressed = Math.max(progressed, done);
    opts.onProgress?.(progressed, total);
  };
  /** Settles once every chunk so far has issued its writes (resolved) or failed. */
  let issued: Promise<unknown> = Promise.resolve();

  /** Issues a chunk's writes, all at once: whole, or each maximal run of non-zero blocks. */
  const put = (at: number, chunk: Uint8Array): Promise<void> => {
    const writes = [];
    if (!opts.skipZeros) {
      writes.push(dst.write(dstOffset + at, chunk));
      written += chunk.length;
    } else {
      for (const [from, to] of dataRuns(chunk, blockSize)) {
        writes.push(dst.write(dstOffset + at + from, chunk.subarray(from, to)));
        written += to - from;
      }
    }
    return settleAll(writes).then(() => progress(at + chunk.length));
  };
  /** Waits for every chunk in flight; throws the first failure. */
  const drain = () => settleAll(busy.splice(0));
  const step = async ({ from, to, data }: Step) => {
    if (!data) {
      // A skipped hole costs nothing: the chunks in flight go on across it.
      if (!opts.skipZeros) {
        await drain();
        await dst.zero(dstOffset + from, to - from);
      }
      progress(to);
      return;
    }
    for (let at = from; at < to; ) {
      const n = Math.min(size, to - at);
      const slot = turn++ % DEPTH;
      // The buffer's previous chunk must be written before it is reused; a failure stops the copy.
      await busy[slot];
      bufs[slot] ??= new Uint8Array(size);
      const chunk = (bufs[slot] as Uint8Array).subarray(0, n);
      const ready = Promise.all([src.read(srcOffset + at, chunk), issued]);
      const offset = at;
      busy[slot] = ready.then(() => put(offset, chunk));
      // Handled here too: a failure is thrown by the next await of it, not as an unhandled rejection.
      busy[slot].catch(() => undefined);
      issued = ready;
      at += n;
    }
  };

  try {
    for await (const s of plan(src, srcOffset, total, blockSize, chunkSize)) await step(s);
    await drain();
  } finally {
    // A failure leaves other chunks running: wait for them before the caller closes anything.
    await Promise.allSettled(busy);
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
  const dataRanges = src.dataRanges.bind(src);
  const ask = (w: number) => dataRanges(srcOffset + w, Math.min(total, w + window) - w);
  // The next window is asked as soon as this one is answered: the map walk runs while this
  // window's chunks are copied, not between them.
  let asked: Promise<DataRange[]> | undefined = total > 0 ? ask(0) : undefined;
  for (let w = 0; asked; ) {
    const ranges = await asked;
    w += window;
    if (ranges.length < FEW_RANGES) window = Math.max(window, Math.min(MAX_WINDOW, window * 2));
    asked = w < total ? ask(w) : undefined;
    // Handled here too: a failure is thrown by the next await of it, not as an unhandled rejection.
    asked?.catch(() => undefined);
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
