import { checkRange } from './check.js';
import type { ResizableDevice } from './device.js';
import { ClosedError, InvalidArgumentError, ReadOnlyError } from './errors.js';

export interface MemoryDeviceOptions {
  /** Grow when written past the end (default false: such writes are errors). */
  growable?: boolean;
  readOnly?: boolean;
}

/** A device backed by one in-memory buffer: for tests, browsers and small images. */
export class MemoryDevice implements ResizableDevice {
  #buf: Uint8Array;
  #size: number;
  #closed = false;
  readonly growable: boolean;
  readonly readOnly: boolean;

  constructor(sizeOrData: number | Uint8Array = 0, opts: MemoryDeviceOptions = {}) {
    if (typeof sizeOrData === 'number') {
      if (!Number.isSafeInteger(sizeOrData) || sizeOrData < 0) {
        throw new InvalidArgumentError(`memory device size must be a non-negative integer, got ${sizeOrData}`);
      }
      this.#buf = new Uint8Array(sizeOrData);
    } else {
      this.#buf = sizeOrData;
    }
    this.#size = this.#buf.length;
    this.growable = opts.growable ?? false;
    this.readOnly = opts.readOnly ?? false;
  }

  get size(): number {
    return this.#size;
  }

  /** The device's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#size);
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    this.#open();
    checkRange(offset, into.length, this.#size, 'read');
    into.set(this.#buf.subarray(offset, offset + into.length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#writable();
    this.#fit(offset, data.length, 'write');
    this.#buf.set(data, offset);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.#writable();
    this.#fit(offset, length, 'zero');
    this.#buf.fill(0, offset, offset + length);
  }

  async resize(size: number): Promise<void> {
    this.#writable();
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`bad size ${size}`);
    this.#ensureCapacity(size);
    if (size < this.#size) this.#buf.fill(0, size, this.#size);
    this.#size = size;
  }

  async flush(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #fit(offset: number, length: number, what: string): void {
    if (this.growable) {
      checkRange(offset, length, Number.MAX_SAFE_INTEGER, what);
      const end = offset + length;
      if (end > this.#size) {
        this.#ensureCapacity(end);
        this.#size = end;
      }
    } else {
      checkRange(offset, length, this.#size, what);
    }
  }

  #ensureCapacity(size: number): void {
    if (size <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(size, this.#buf.length * 2));
    next.set(this.#buf.subarray(0, this.#size));
    this.#buf = next;
  }

  #open(): void {
    if (this.#closed) throw new ClosedError();
  }

  #writable(): void {
    this.#open();
    if (this.readOnly) throw new ReadOnlyError('memory device');
  }
}
