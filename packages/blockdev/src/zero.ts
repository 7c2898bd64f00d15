const ZERO_CHUNK = new Uint8Array(64 * 1024);

/** True when every byte of `buf` is zero (word-wise where the view is aligned; browser-safe). */
export function isZero(buf: Uint8Array): boolean {
  let off = 0;
  // Short buffers: a plain loop beats setting up comparisons.
  if (buf.length < 64) {
    for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
    return true;
  }
  if (buf.byteOffset % 4 === 0) {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    off = words.length * 4;
  }
  for (let i = off; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * The runs [start, end) of `buf` made of whole `blockSize`-byte blocks (the last may be short)
 * that are not all zero, in order. One word view for the whole buffer: scanning a 4 MiB chunk in
 * 4 KiB blocks makes no object per block.
 */
export function dataRuns(buf: Uint8Array, blockSize: number): Array<[number, number]> {
  const n = buf.length;
  const runs: Array<[number, number]> = [];
  const aligned = buf.byteOffset % 4 === 0 && blockSize % 4 === 0;
  const words = aligned ? new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2) : undefined;
  let start = -1;
  for (let b = 0; b < n; b += blockSize) {
    const end = Math.min(b + blockSize, n);
    let zero = true;
    if (words) {
      const last = end >>> 2;
      for (let w = b >>> 2; w < last; w++) {
        if (words[w] !== 0) {
          zero = false;
          break;
        }
      }
      for (let i = last * 4; zero && i < end; i++) if (buf[i] !== 0) zero = false;
    } else {
      zero = isZero(buf.subarray(b, end));
    }
    if (!zero && start < 0) start = b;
    if (zero && start >= 0) {
      runs.push([start, b]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, n]);
  return runs;
}

/** A read-only view of `length` zero bytes, reused to avoid allocating per call. */
export function zeroChunk(length: number): Uint8Array {
  return length <= ZERO_CHUNK.length ? ZERO_CHUNK.subarray(0, length) : new Uint8Array(length);
}

/** Writes zeros over a range in bounded chunks, for devices with no cheaper way. */
export async function writeZeros(
  write: (offset: number, data: Uint8Array) => Promise<void>,
  offset: number,
  length: number,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const n = Math.min(ZERO_CHUNK.length, length - done);
    await write(offset + done, ZERO_CHUNK.subarray(0, n));
    done += n;
  }
}
