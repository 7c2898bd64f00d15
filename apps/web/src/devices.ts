import {
  type BlockDevice,
  ClosedError,
  checkRange,
  ReadOnlyError,
  type ResizableDevice,
  writeZeros,
} from '@fstool/blockdev';

/** The part of an OPFS `FileSystemSyncAccessHandle` (dedicated workers only) that a device needs. */
export interface SyncAccessHandle {
  read(into: Uint8Array, opts: { at: number }): number;
  write(data: Uint8Array, opts: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/**
 * A device over a file in the origin-private file system: the image lives on disk, not in memory,
 * so it may be larger than memory. Grows when written past its end; reads zeros where unwritten.
 */
export class OpfsDevice implements ResizableDevice {
  #size: number;
  #closed = false;
  readonly readOnly = false;

  constructor(private readonly handle: SyncAccessHandle) {
    this.#size = handle.getSize();
  }

  get size(): number {
    return this.#size;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    this.#open();
    checkRange(offset, into.length, this.#size, 'read');
    let done = 0;
    while (done < into.length) {
      const n = this.handle.read(into.subarray(done), { at: offset + done });
      if (n <= 0) throw new ClosedError();
      done += n;
    }
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#open();
    checkRange(offset, data.length, Number.MAX_SAFE_INTEGER, 'write');
    let done = 0;
    while (done < data.length) done += this.handle.write(data.subarray(done), { at: offset + done });
    this.#size = Math.max(this.#size, offset + data.length);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.#open();
    checkRange(offset, length, Number.MAX_SAFE_INTEGER, 'zero');
    // Past the end a truncate extends with zeros; inside, zeros are written.
    const inside = Math.max(0, Math.min(offset + length, this.#size) - offset);
    if (offset + length > this.#size) await this.resize(offset + length);
    await writeZeros((o, d) => this.write(o, d), offset, inside);
  }

  async resize(size: number): Promise<void> {
    this.#open();
    this.handle.truncate(size);
    this.#size = size;
  }

  async flush(): Promise<void> {
    this.#open();
    this.handle.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.handle.flush();
    this.handle.close();
  }

  #open(): void {
    if (this.#closed) throw new ClosedError();
  }
}

/** A read-only device over a Blob (a dropped File): slices are read on demand, never the whole file. */
export class BlobDevice implements BlockDevice {
  readonly readOnly = true;
  readonly size: number;

  constructor(private readonly blob: Blob) {
    this.size = blob.size;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    checkRange(offset, into.length, this.size, 'read');
    into.set(new Uint8Array(await this.blob.slice(offset, offset + into.length).arrayBuffer()));
  }

  async write(): Promise<void> {
    throw new ReadOnlyError('image file');
  }

  async zero(): Promise<void> {
    throw new ReadOnlyError('image file');
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
