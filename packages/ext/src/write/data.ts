/**
 * Streams file contents to their planned blocks. Consecutive files land in consecutive blocks, so
 * pieces are staged in one reused multi-MiB buffer and written together; small files are read
 * with the source's synchronous fast path when it has one. On a zeroed device, all-zero blocks
 * are not written (the device already reads zeros there).
 */
import { type BlockDevice, InvalidArgumentError, isZero } from '@fstool/blockdev';
import type { ContentSource } from '@fstool/fs';
import type { Extent } from '../plan/blockmap.js';

export const STAGE_BYTES = 8 * 2 ** 20;

export class DataStager {
  readonly #buf: Uint8Array;
  #start = 0;
  #len = 0;
  written = 0;

  constructor(
    private readonly dev: BlockDevice,
    private readonly blockSize: number,
    private readonly zeroed: boolean,
    size = STAGE_BYTES,
  ) {
    this.#buf = new Uint8Array(size);
  }

  async flush(): Promise<void> {
    if (this.#len === 0) return;
    const buf = this.#buf.subarray(0, this.#len);
    if (!this.zeroed) await this.dev.write(this.#start, buf);
    else {
      // Write only the runs of blocks that hold a non-zero byte.
      const bs = this.blockSize;
      let runStart = -1;
      for (let at = 0; at <= buf.length; at += bs) {
        const zero = at === buf.length || isZero(buf.subarray(at, at + bs));
        if (!zero && runStart < 0) runStart = at;
        if (zero && runStart >= 0) {
          await this.dev.write(this.#start + runStart, buf.subarray(runStart, at));
          runStart = -1;
        }
      }
    }
    this.written += this.#len;
    this.#len = 0;
  }

  /** Copies a file's data extents (`size` bytes long in total) from `src`. */
  async copy(path: string, src: ContentSource, size: number, extents: readonly Extent[]): Promise<void> {
    const bs = this.blockSize;
    for (const x of extents) {
      let fileOff = x.logical * bs;
      let devOff = x.start * bs;
      const endOff = (x.logical + x.len) * bs;
      while (fileOff < endOff) {
        if (this.#len > 0 && (this.#start + this.#len !== devOff || this.#len === this.#buf.length)) await this.flush();
        if (this.#len === 0) this.#start = devOff;
        const room = this.#buf.length - this.#len;
        const n = Math.min(room, endOff - fileOff);
        const into = this.#buf.subarray(this.#len, this.#len + n);
        const want = Math.max(0, Math.min(n, size - fileOff));
        let got = 0;
        while (got < want) {
          const part = into.subarray(got, want);
          const r = src.readSync ? src.readSync(fileOff + got, part) : await src.read(fileOff + got, part);
          if (r <= 0)
            throw new InvalidArgumentError(
              `${path}: file ended at ${fileOff + got} bytes, expected ${size} (changed while building?)`,
            );
          got += r;
        }
        // The tail of the last block reads as zeros.
        if (want < n) into.fill(0, want);
        this.#len += n;
        fileOff += n;
        devOff += n;
      }
    }
  }
}
