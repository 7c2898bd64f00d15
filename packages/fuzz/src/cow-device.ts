import { type BlockDevice, checkRange, ReadOnlyError } from '@fstool/blockdev';

const PAGE = 4096;

/**
 * A copy-on-write device over a clean image: writes land in private pages, the base is never
 * touched. Each fuzz case gets one, so a 34 MiB seed costs only the pages a case changes.
 * Growable (qcow2 appends clusters); bytes past the base read as zeros.
 */
export class CowDevice implements BlockDevice {
  readonly #base: Uint8Array;
  readonly #pages = new Map<number, Uint8Array>();
  #size: number;
  readonly readOnly = false;
  readonly growable: boolean;

  constructor(base: Uint8Array, opts: { growable?: boolean } = {}) {
    this.#base = base;
    this.#size = base.length;
    this.growable = opts.growable ?? false;
  }

  get size(): number {
    return this.#size;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    checkRange(offset, into.length, this.#size, 'read');
    this.readSync(offset, into);
  }

  readSync(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const at = offset + done;
      const page = Math.floor(at / PAGE);
      const inPage = at - page * PAGE;
      const n = Math.min(PAGE - inPage, into.length - done);
      const own = this.#pages.get(page);
      if (own) into.set(own.subarray(inPage, inPage + n), done);
      else this.#fromBase(at, into.subarray(done, done + n));
      done += n;
    }
  }

  #fromBase(at: number, into: Uint8Array): void {
    const end = Math.min(at + into.length, this.#base.length);
    if (at < end) into.set(this.#base.subarray(at, end));
    into.fill(0, Math.max(0, end - at));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#fit(offset, data.length, 'write');
    this.writeSync(offset, data);
  }

  /** Writes without range checks against the current size (mutations may extend a growable image). */
  writeSync(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const page = Math.floor(at / PAGE);
      const inPage = at - page * PAGE;
      const n = Math.min(PAGE - inPage, data.length - done);
      let own = this.#pages.get(page);
      if (!own) {
        own = new Uint8Array(PAGE);
        this.#fromBase(page * PAGE, own);
        this.#pages.set(page, own);
      }
      own.set(data.subarray(done, done + n), inPage);
      done += n;
    }
    this.#size = Math.max(this.#size, offset + data.length);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.#fit(offset, length, 'zero');
    const chunk = new Uint8Array(Math.min(length, 1 << 20));
    for (let done = 0; done < length; done += chunk.length) {
      this.writeSync(offset + done, chunk.subarray(0, Math.min(chunk.length, length - done)));
    }
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}

  /** The whole image as it now stands (for saving a crashing input). */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.#size);
    this.readSync(0, out);
    return out;
  }

  /** Bytes held privately (pages written). */
  get privateBytes(): number {
    return this.#pages.size * PAGE;
  }

  #fit(offset: number, length: number, what: string): void {
    if (this.readOnly) throw new ReadOnlyError();
    checkRange(offset, length, this.growable ? Number.MAX_SAFE_INTEGER : this.#size, what);
  }
}
