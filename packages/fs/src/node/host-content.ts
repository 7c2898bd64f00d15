import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { ContentSource } from '../entry.js';
import { escapeName } from '../names.js';
import { hostError } from './errors.js';
import { hostPath } from './host-path.js';

/** Granularity of holes found by zero detection (the usual host block size). */
const HOLE_BLOCK = 4096;
const SCAN_CHUNK = 2 * 1024 * 1024;
/**
 * Chunk read while the scan is inside a hole: the kernel's zeros are still in the CPU cache when
 * compared (a fifth faster per GiB of hole). Data is read in SCAN_CHUNKs: fewer trips to the disk.
 */
const HOLE_CHUNK = 512 * 1024;
/** O_DIRECT alignment searched for (the usual page size; block devices ask 512 or 4096). */
const DIRECT_ALIGN = 4096;
/**
 * Buffer.equals against zeros is memcmp: several times faster than a JS loop. Allocated zeroed
 * and never written, so its pages stay the kernel's shared zero page.
 */
let zeroChunk: Buffer | undefined;
/** The scan buffer, shared: a scan runs from start to end without yielding. */
let scanRaw: Buffer | undefined;
/** Offset into scanRaw at which O_DIRECT reads are aligned (learnt on the first misaligned read). */
let scanShift = 0;

const isEinval = (e: unknown) => (e as { code?: string }).code === 'EINVAL';

/**
 * Chunked reads for the hole scan. O_DIRECT when the host allows it: a hole then reads as zeros
 * written straight into the buffer, where a buffered read first fills the page cache with zero
 * pages (several times slower per GiB, and it evicts what the build reads next). Reads of data
 * need an aligned buffer and Node does not say where a buffer lives, so on EINVAL the offset into
 * the buffer is searched once; when that fails (or the filesystem has no O_DIRECT) the scan reads
 * through the page cache.
 */
class ScanReader {
  #fd: number;
  #direct: boolean;

  /** `direct` false: read through the page cache (a file of data the build reads again next). */
  constructor(
    private readonly path: string,
    direct: boolean,
  ) {
    scanRaw ??= Buffer.allocUnsafeSlow(SCAN_CHUNK + DIRECT_ALIGN);
    this.#direct = direct;
    try {
      this.#fd = openSync(hostPath(path), direct ? constants.O_RDONLY | constants.O_DIRECT : constants.O_RDONLY);
    } catch {
      this.#direct = false;
      this.#fd = openSync(hostPath(path), 'r');
    }
  }

  get buf(): Buffer {
    const raw = scanRaw as Buffer;
    return this.#direct ? raw.subarray(scanShift, scanShift + SCAN_CHUNK) : raw.subarray(0, SCAN_CHUNK);
  }

  /** Fills `buf` with up to `want` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, want: number): number {
    for (let tries = 0; ; tries++) {
      const buf = this.buf;
      try {
        let done = 0;
        while (done < want) {
          // O_DIRECT lengths must be aligned: ask for whole alignment units, the file's end stops it.
          const ask = this.#direct ? Math.ceil(want / DIRECT_ALIGN) * DIRECT_ALIGN : want;
          const n = readSync(this.#fd, buf, done, ask - done, offset + done);
          if (n === 0) break;
          done += n;
        }
        return Math.min(done, want);
      } catch (e) {
        if (!this.#direct || !isEinval(e)) throw e;
        if (tries > 0 || !this.#align(offset, want)) {
          closeSync(this.#fd);
          this.#direct = false;
          this.#fd = openSync(hostPath(this.path), 'r');
        }
      }
    }
  }

  /** Finds a block of data in the chunk (holes read at any alignment), then an offset that reads it. */
  #align(offset: number, want: number): boolean {
    const raw = scanRaw as Buffer;
    const tryRead = (at: number, pos: number) => {
      try {
        readSync(this.#fd, raw, at, DIRECT_ALIGN, pos);
        return true;
      } catch (e) {
        if (isEinval(e)) return false;
        throw e;
      }
    };
    for (let pos = offset; pos < offset + want; pos += DIRECT_ALIGN) {
      if (tryRead(scanShift, pos)) continue;
      for (let at = 0; at < DIRECT_ALIGN; at += 16) {
        if (!tryRead(at, pos)) continue;
        scanShift = at;
        return true;
      }
      return false;
    }
    return false;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * A host file's contents: the descriptor opens on first read and closes with `close()`.
 * `maybeSparse` (fewer blocks allocated than the size needs) turns on hole detection; Node has no
 * SEEK_DATA/SEEK_HOLE, so holes are found as runs of all-zero 4 KiB blocks (an allocated block of
 * zeros counts as a hole too: the contents are the same). `holes({ zeros: true })` scans a fully
 * allocated file the same way, through the page cache, where the build's own reads find it again. A class, not closures: one object per
 * file of a tree with many small files.
 */
class HostFileSource implements ContentSource {
  #fd: number | undefined;

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly maybeSparse: boolean,
  ) {}

  readSync(offset: number, into: Uint8Array): number {
    try {
      this.#fd ??= openSync(hostPath(this.path), 'r');
      let done = 0;
      while (done < into.length) {
        const n = readSync(this.#fd, into, done, into.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } catch (e) {
      throw hostError(e, escapeName(this.path), 'read it');
    }
  }

  async read(offset: number, into: Uint8Array): Promise<number> {
    return this.readSync(offset, into);
  }

  async holes(opts?: { zeros?: boolean }): Promise<Array<[number, number]>> {
    const { path, size } = this;
    if (!this.maybeSparse && !opts?.zeros) return [];
    const holes: Array<[number, number]> = [];
    const addHole = (off: number, len: number) => {
      const last = holes[holes.length - 1];
      if (last && last[0] + last[1] === off) last[1] += len;
      else holes.push([off, len]);
    };
    let scan: ScanReader | undefined;
    try {
      scan = new ScanReader(path, this.maybeSparse);
      zeroChunk ??= Buffer.alloc(SCAN_CHUNK);
      let inHole = true;
      for (let off = 0; off < size; ) {
        const want = Math.min(inHole ? HOLE_CHUNK : SCAN_CHUNK, size - off);
        const n = scan.read(off, want);
        const buf = scan.buf;
        // A whole chunk of zeros (most of a sparse file) is one compare.
        inHole = buf.subarray(0, n).equals(zeroChunk.subarray(0, n));
        if (inHole) addHole(off, n);
        else {
          for (let b = 0; b < n; b += HOLE_BLOCK) {
            const len = Math.min(HOLE_BLOCK, n - b);
            if (buf.subarray(b, b + len).equals(zeroChunk.subarray(0, len))) addHole(off + b, len);
          }
        }
        if (n < want) break;
        off += n;
      }
    } catch (e) {
      throw hostError(e, escapeName(path), 'read it');
    } finally {
      scan?.close();
    }
    return holes;
  }

  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    const f = this.#fd;
    this.#fd = undefined;
    try {
      closeSync(f);
    } catch (e) {
      throw hostError(e, escapeName(this.path), 'close it');
    }
  }
}

export function hostFileSource(path: string, size: number, maybeSparse: boolean): ContentSource {
  return new HostFileSource(path, size, maybeSparse);
}
