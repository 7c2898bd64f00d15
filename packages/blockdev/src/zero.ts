const ZERO_CHUNK = new Uint8Array(64 * 1024);

/**
 * Node's `Buffer.compare` (a native memcmp), where the host has one: comparing against zeros
 * skips a zero run at memory speed, where a script loop runs interpreted on its first calls.
 * Browsers have no such call and scan words.
 */
const nativeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer?.compare;

/** True when every byte of `buf` is zero (browser-safe). */
export function isZero(buf: Uint8Array): boolean {
  // Short buffers: a plain loop beats setting up comparisons.
  if (buf.length < 64) {
    for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
    return true;
  }
  if (nativeCompare) {
    for (let off = 0; off < buf.length; off += ZERO_CHUNK.length) {
      const n = Math.min(ZERO_CHUNK.length, buf.length - off);
      if (nativeCompare(buf.subarray(off, off + n), ZERO_CHUNK.subarray(0, n)) !== 0) return false;
    }
    return true;
  }
  let off = 0;
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
 * that are not all zero, in order. A data block usually shows itself in its first byte; only
 * the others are compared whole.
 */
export function dataRuns(buf: Uint8Array, blockSize: number): Array<[number, number]> {
  const n = buf.length;
  const runs: Array<[number, number]> = [];
  let start = -1;
  for (let b = 0; b < n; b += blockSize) {
    const end = Math.min(b + blockSize, n);
    const zero = buf[b] === 0 && isZero(buf.subarray(b, end));
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
