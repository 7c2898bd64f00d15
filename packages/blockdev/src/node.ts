/**
 * Node-only devices: a host file (or block device) accessed with positional I/O.
 */
import { fstatSync } from 'node:fs';
import { constants, type FileHandle, open } from 'node:fs/promises';
import { checkRange } from './check.js';
import type { DataRange, ResizableDevice } from './device.js';
import { ClosedError, FsError, InvalidArgumentError, OutOfRangeError, ReadOnlyError } from './errors.js';
import { fileExtents } from './node/extents.js';
import { settleAll } from './settle.js';
import { writeZeros } from './zero.js';

export interface OpenFileOptions {
  /** Open for writing (default false). */
  writable?: boolean;
  /** Allow writes past the end to extend the file (default false). */
  growable?: boolean;
}

export interface CreateFileOptions {
  /** Size of the new file; it is created sparse (all holes). */
  size: number;
  /** Replace an existing file (default false: an existing file is an error). */
  overwrite?: boolean;
  growable?: boolean;
  /**
   * Whether the file is made durable (default true): synced in the background every 64 MiB
   * written, and by flush(). False leaves it all to the page cache, as `qemu-img convert` leaves
   * its output (cache=unsafe): flush() then writes nothing out.
   */
  sync?: boolean;
}

/**
 * Bytes written after which a background fdatasync starts. Writes only fill the page cache; left
 * alone the kernel writes it out in one burst at the final flush(). Syncing behind the writer
 * overlaps that disk I/O with the writes, so flush() only waits for the last stretch.
 */
const WRITE_BEHIND = 64 * 2 ** 20;

/**
 * A host file as a BlockDevice. Reads are exact; a short read is an error. Writes are synced in
 * the background every WRITE_BEHIND bytes; a failure there is thrown by the next flush() or close().
 */
export class FileDevice implements ResizableDevice {
  #fh: FileHandle | undefined;
  #size: number;
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  #syncError: unknown;
  /** False: never synced (see CreateFileOptions.sync). */
  #sync = true;
  /** The file's extent map (null: none to be had), read once on first use; callers meanwhile share the read. */
  #extents: Promise<DataRange[] | null> | undefined;
  readonly readOnly: boolean;
  readonly growable: boolean;

  private constructor(
    fh: FileHandle,
    size: number,
    readonly path: string,
    readOnly: boolean,
    growable: boolean,
  ) {
    this.#fh = fh;
    this.#size = size;
    this.readOnly = readOnly;
    this.growable = growable;
  }

  /** Opens an existing file (or block device; its size is found by seeking to the end). */
  static async open(path: string, opts: OpenFileOptions = {}): Promise<FileDevice> {
    const writable = opts.writable ?? false;
    const fh = await openOrExplain(path, writable ? constants.O_RDWR : constants.O_RDONLY);
    try {
      const st = await fh.stat();
      let size = st.size;
      if (st.isBlockDevice()) size = await blockDeviceSize(fh);
      else if (!st.isFile()) throw new InvalidArgumentError(`${path} is not a regular file or block device`);
      return new FileDevice(fh, size, path, !writable, opts.growable ?? false);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Creates a new sparse file of `size` bytes (ftruncate: no data blocks are allocated). */
  static async create(path: string, opts: CreateFileOptions): Promise<FileDevice> {
    if (!Number.isSafeInteger(opts.size) || opts.size < 0) {
      throw new InvalidArgumentError(`file size must be a non-negative integer, got ${opts.size}`);
    }
    const flags = constants.O_RDWR | constants.O_CREAT | (opts.overwrite ? constants.O_TRUNC : constants.O_EXCL);
    const fh = await openOrExplain(path, flags, 0o644);
    try {
      // The new (or just truncated) file is empty already. A needless ftruncate(0) would make ext4
      // treat it as a file replaced by truncation and start writing all its data out on close.
      if (opts.size > 0) await fh.truncate(opts.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
    const dev = new FileDevice(fh, opts.size, path, false, opts.growable ?? false);
    dev.#sync = opts.sync ?? true;
    return dev;
  }

  get size(): number {
    return this.#size;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    const fh = this.#handle();
    checkRange(offset, into.length, this.#size, 'read');
    await inPieces(into.length, async (from, to) => {
      for (let done = from; done < to; ) {
        const { bytesRead } = await fh.read(into, done, to - done, offset + done);
        if (bytesRead === 0) throw new OutOfRangeError(offset + done, to - done, this.#size, 'short read');
        done += bytesRead;
      }
    });
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const fh = this.#writableHandle();
    const size = this.#fit(offset, data.length, 'write');
    await inPieces(data.length, async (from, to) => {
      for (let done = from; done < to; ) {
        const { bytesWritten } = await hostIo(this.path, fh.write(data, done, to - done, offset + done));
        done += bytesWritten;
      }
    });
    // Concurrent writes may finish out of order: the size never goes back to an earlier one.
    this.#size = Math.max(this.#size, size);
    this.#wrote(data.length);
  }

  /** Positional vectored write of consecutive buffers starting at `offset`: one syscall for many blocks. */
  async writev(offset: number, buffers: Uint8Array[]): Promise<void> {
    const fh = this.#writableHandle();
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const size = this.#fit(offset, total, 'write');
    const { bytesWritten } = await hostIo(this.path, fh.writev(buffers, offset));
    if (bytesWritten < total) {
      // Rare partial vectored write: finish the rest with plain writes.
      let skip = bytesWritten;
      let at = offset;
      for (const b of buffers) {
        if (skip >= b.length) {
          skip -= b.length;
          at += b.length;
          continue;
        }
        await this.write(at + skip, b.subarray(skip));
        at += b.length;
        skip = 0;
      }
    }
    this.#size = Math.max(this.#size, size);
    this.#wrote(bytesWritten);
  }

  /**
   * From the file's extent map (see node/extents.ts), taken once while the device is read-only;
   * a writable device, a block device or a file without a map reports all of it as data.
   */
  async dataRanges(offset: number, length: number): Promise<DataRange[]> {
    const fh = this.#handle();
    checkRange(offset, length, this.#size, 'dataRanges');
    if (length === 0) return [];
    if (this.readOnly && this.#extents === undefined) {
      // One cheap syscall, made in place: a trip through the thread pool costs more than it does.
      const st = fstatSync(fh.fd);
      this.#extents = st.isFile() ? fileExtents(this.path, st).then((m) => m ?? null) : Promise.resolve(null);
    }
    const map = this.readOnly ? await this.#extents : null;
    if (!map) return [[offset, offset + length]];
    const end = offset + length;
    const out: DataRange[] = [];
    for (const [a, b] of map) if (a < end && b > offset) out.push([Math.max(a, offset), Math.min(b, end)]);
    return out;
  }

  async zero(offset: number, length: number): Promise<void> {
    this.#writableHandle();
    this.#fit(offset, length, 'zero');
    // Node has no hole punching: write zeros (callers avoid this by planning).
    await writeZeros((o, d) => this.write(o, d), offset, length);
  }

  async resize(size: number): Promise<void> {
    const fh = this.#writableHandle();
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`bad size ${size}`);
    await hostIo(this.path, fh.truncate(size));
    this.#size = size;
  }

  async flush(): Promise<void> {
    const fh = this.#handle();
    if (this.readOnly) return;
    await this.#settle();
    this.#unsynced = 0;
    if (!this.#sync) return;
    await hostIo(this.path, fh.datasync());
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    try {
      await this.#settle();
    } finally {
      await fh?.close();
    }
  }

  /** Counts written bytes; past WRITE_BEHIND starts a background sync unless one is running. */
  #wrote(bytes: number): void {
    this.#unsynced += bytes;
    const fh = this.#fh;
    if (!fh || !this.#sync || this.#unsynced < WRITE_BEHIND || this.#syncing) return;
    this.#unsynced = 0;
    this.#syncing = fh
      .datasync()
      .catch((e: unknown) => {
        this.#syncError ??= e;
      })
      .finally(() => {
        this.#syncing = undefined;
      });
  }

  /** Waits for the background sync and throws what it failed with. */
  async #settle(): Promise<void> {
    await this.#syncing;
    const err = this.#syncError;
    this.#syncError = undefined;
    if (err !== undefined) await hostIo(this.path, Promise.reject(err));
  }

  /** Checks the range; returns the size once it is written (growable files get longer only then). */
  #fit(offset: number, length: number, what: string): number {
    if (!this.growable) {
      checkRange(offset, length, this.#size, what);
      return this.#size;
    }
    checkRange(offset, length, Number.MAX_SAFE_INTEGER, what);
    return Math.max(this.#size, offset + length);
  }

  #handle(): FileHandle {
    if (!this.#fh) throw new ClosedError();
    return this.#fh;
  }

  #writableHandle(): FileHandle {
    const fh = this.#handle();
    if (this.readOnly) throw new ReadOnlyError(`file ${this.path}`);
    return fh;
  }
}

/**
 * Requests larger than this are split into pieces that run at once on libuv's thread pool, so
 * the kernel's page-cache copies of one large read or write use every core. 2 MiB, as
 * `qemu-img convert` asks: a copy reading one 4 MiB chunk while writing the last keeps the four
 * threads busy with half the requests (and thread hand-offs) of 1 MiB pieces.
 */
const PIECE = 2 * 2 ** 20;

/**
 * Runs `io` over [0, length) in PIECE-sized parts concurrently. Waits for all of them (none is
 * left touching the caller's buffer), then throws the first failure.
 */
async function inPieces(length: number, io: (from: number, to: number) => Promise<void>): Promise<void> {
  if (length <= PIECE) return io(0, length);
  const parts: Promise<void>[] = [];
  for (let at = 0; at < length; at += PIECE) parts.push(io(at, Math.min(length, at + PIECE)));
  await settleAll(parts);
}

/** Host errors an image write can expect (a full or failing disk) become FsErrors naming the file. */
const HOST_WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the host disk',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the host filesystem',
  EIO: 'I/O error on the host disk',
};

async function hostIo<T>(path: string, io: Promise<T>): Promise<T> {
  try {
    return await io;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = HOST_WRITE_ERRORS[code];
    if (!why) throw err;
    throw new FsError(code, `${path}: ${why}`, { cause: err });
  }
}

async function openOrExplain(path: string, flags: number, mode?: number): Promise<FileHandle> {
  try {
    return await open(path, flags, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const why: Record<string, string> = {
      ENOENT: 'no such file',
      EEXIST: 'file exists',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      EBUSY: 'device is busy (mounted or in use)',
    };
    throw new FsError(code, `cannot open ${path}: ${why[code] ?? (err as Error).message}`, { cause: err });
  }
}

async function blockDeviceSize(fh: FileHandle): Promise<number> {
  // lseek(SEEK_END) is not exposed; binary-search the last readable byte instead.
  const probe = new Uint8Array(1);
  const readable = async (off: number) => (await fh.read(probe, 0, 1, off)).bytesRead === 1;
  let lo = 0;
  let hi = 512;
  while (await readable(hi - 1)) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readable(mid - 1)) lo = mid;
    else hi = mid;
  }
  return lo;
}
