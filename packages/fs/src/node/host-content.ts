import { closeSync, openSync, readSync } from 'node:fs';
import type { ContentSource } from '../entry.js';
import { hostError } from './errors.js';

/** Granularity of holes found by zero detection (the usual host block size). */
const HOLE_BLOCK = 4096;
const SCAN_CHUNK = 4 * 1024 * 1024;
/** Buffer.equals against zeros is memcmp: several times faster than a JS loop. */
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

/**
 * A host file's contents: the descriptor opens on first read and closes with `close()`.
 * `maybeSparse` (fewer blocks allocated than the size needs) turns on hole detection; Node has no
 * SEEK_DATA/SEEK_HOLE, so holes are found as runs of all-zero 4 KiB blocks (an allocated block of
 * zeros counts as a hole too: the contents are the same).
 */
export function hostFileSource(path: string, size: number, maybeSparse: boolean): ContentSource {
  let fd: number | undefined;
  const readAt = (offset: number, into: Uint8Array): number => {
    try {
      fd ??= openSync(path, 'r');
      let done = 0;
      while (done < into.length) {
        const n = readSync(fd, into, done, into.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } catch (e) {
      throw hostError(e, path, 'read it');
    }
  };
  return {
    readSync: readAt,
    read: async (offset, into) => readAt(offset, into),
    async holes() {
      if (!maybeSparse) return [];
      const holes: Array<[number, number]> = [];
      const buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.ceil(size / HOLE_BLOCK) * HOLE_BLOCK));
      for (let off = 0; off < size; off += buf.length) {
        const n = readAt(off, buf.subarray(0, Math.min(buf.length, size - off)));
        for (let b = 0; b < n; b += HOLE_BLOCK) {
          const len = Math.min(HOLE_BLOCK, n - b);
          if (!buf.subarray(b, b + len).equals(len === HOLE_BLOCK ? ZERO_BLOCK : ZERO_BLOCK.subarray(0, len))) continue;
          const last = holes[holes.length - 1];
          if (last && last[0] + last[1] === off + b) last[1] += len;
          else holes.push([off + b, len]);
        }
        if (n < buf.length) break;
      }
      return holes;
    },
    async close() {
      if (fd === undefined) return;
      const f = fd;
      fd = undefined;
      try {
        closeSync(f);
      } catch (e) {
        throw hostError(e, path, 'close it');
      }
    },
  };
}
