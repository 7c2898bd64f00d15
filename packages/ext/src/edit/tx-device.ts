/**
 * The device under an editing Volume when the filesystem has a journal: metadata writes made
 * during an operation are held (reads see them) and go to disk as one journal transaction when
 * the operation ends. File data bypasses the buffer (`direct`), so it lands before the
 * transaction that links it (ordered mode). Without a journal it passes everything through.
 */
import type { BlockDevice } from '@fstool/blockdev';
import type { Volume } from '../read/volume.js';
import type { JournalLog } from './journal.js';

/** Most file data gathered into one device write. */
const PENDING_MAX = 4 * 2 ** 20;

export class TxDevice implements BlockDevice {
  private readonly held = new Map<number, Uint8Array>();
  /**
   * With a journal, file data written back to back (small files laid out one after another) is
   * gathered and written in one piece: before the commit that links it, before a read of it, and
   * when the next piece does not follow on.
   */
  private pending: { offset: number; length: number } | undefined;
  /**
   * Where `pending` is gathered (allocated on first use, reused: one copy per piece, no buffer per
   * file). Taken out while its write runs, so a piece arriving meanwhile gathers elsewhere.
   */
  private gather: Uint8Array | undefined;
  private log: JournalLog | undefined;
  private bs = 0;
  private bypass = 0;
  /** True while `deferred` writes into the transaction being committed. */
  private sealing = false;
  /** Commit time stamped on transactions. */
  now = 0;
  /**
   * Metadata kept in memory until the commit (the allocator's bitmaps, descriptors, superblock):
   * `blocks` is how many it would write now, `write` writes them into the transaction.
   */
  deferred: { readonly blocks: number; write(): Promise<void> } | undefined;

  constructor(readonly inner: BlockDevice) {}

  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  /** From now on metadata writes are journalled through `log` (blocks of `blockSize`). */
  attach(log: JournalLog, blockSize: number): void {
    this.log = log;
    this.bs = blockSize;
  }

  get journalled(): boolean {
    return this.log !== undefined;
  }

  /** True when what is held fills half a transaction: a batch commits before taking more. */
  get halfFull(): boolean {
    return this.log !== undefined && this.heldBlocks * 2 >= this.log.capacity;
  }

  /** Blocks the open transaction holds, counting those still deferred. */
  private get heldBlocks(): number {
    return this.held.size + (this.sealing ? 0 : (this.deferred?.blocks ?? 0));
  }

  /** Runs `fn` with its writes going straight to disk (file data, ordered before the metadata). */
  async direct<T>(fn: () => Promise<T>): Promise<T> {
    this.bypass++;
    try {
      return await fn();
    } finally {
      this.bypass--;
    }
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    // Bytes still gathered for a data write (a new directory's first block, read back for its
    // first entry) are newer than the disk's: taken from the gather, which goes on gathering.
    const p = this.pending;
    const from = p ? Math.max(offset, p.offset) : 0;
    const to = p ? Math.min(offset + into.length, p.offset + p.length) : 0;
    const gathered = p && from < to ? (this.gather as Uint8Array).slice(from - p.offset, to - p.offset) : undefined;
    if (!gathered || to - from < into.length) await this.inner.read(offset, into);
    if (gathered) into.set(gathered, from - offset);
    if (this.held.size === 0) return;
    const bs = this.bs;
    const end = offset + into.length;
    for (let b = Math.floor(offset / bs); b * bs < end; b++) {
      const data = this.held.get(b);
      if (!data) continue;
      const from = Math.max(offset, b * bs);
      const to = Math.min(end, (b + 1) * bs);
      into.set(data.subarray(from - b * bs, to - b * bs), from - offset);
    }
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const bs = this.bs;
    if (!this.log || this.bypass > 0) {
      await this.writeData(offset, data);
      // A held block overwritten directly (a freed block reused for data) is no longer metadata.
      if (this.held.size > 0) {
        for (let b = Math.floor(offset / bs); b * bs < offset + data.length; b++) this.held.delete(b);
      }
      return;
    }
    const end = offset + data.length;
    for (let b = Math.floor(offset / bs); b * bs < end; b++) {
      let block = this.held.get(b);
      if (!block) {
        if (!this.sealing && this.heldBlocks >= this.log.capacity) await this.commit();
        block = new Uint8Array(bs);
        const whole = offset <= b * bs && end >= (b + 1) * bs;
        if (!whole) await this.inner.read(b * bs, block);
        this.held.set(b, block);
      }
      const from = Math.max(offset, b * bs);
      const to = Math.min(end, (b + 1) * bs);
      block.set(data.subarray(from - offset, to - offset), from - b * bs);
    }
  }

  /** A write that bypasses the journal: gathered with the pending data when it follows on. */
  private async writeData(offset: number, data: Uint8Array): Promise<void> {
    const p = this.pending;
    if (this.log && p && p.offset + p.length === offset && p.length + data.length <= PENDING_MAX) {
      (this.gather as Uint8Array).set(data, p.length);
      p.length += data.length;
      return;
    }
    await this.writePending();
    if (!this.log || data.length >= PENDING_MAX) {
      await this.inner.write(offset, data);
      return;
    }
    this.gather ??= new Uint8Array(PENDING_MAX);
    this.gather.set(data);
    this.pending = { offset, length: data.length };
  }

  private async writePending(): Promise<void> {
    const p = this.pending;
    const buf = this.gather;
    if (!p || !buf) return;
    this.pending = undefined;
    this.gather = undefined;
    await this.inner.write(p.offset, buf.subarray(0, p.length));
    this.gather ??= buf;
  }

  async zero(offset: number, length: number): Promise<void> {
    await this.writePending();
    if (!this.log || this.bypass > 0) return this.inner.zero(offset, length);
    await this.write(offset, new Uint8Array(length));
  }

  /**
   * Journals and checkpoints what is held, deferred writes included (a no-op without a journal or
   * with nothing held). More than one transaction carries (one huge operation) goes in several.
   */
  async commit(): Promise<void> {
    await this.writePending();
    const log = this.log;
    if (!log) return;
    if (this.deferred && !this.sealing) {
      this.sealing = true;
      try {
        await this.deferred.write();
      } finally {
        this.sealing = false;
      }
    }
    if (this.held.size === 0) return;
    const all = [...this.held];
    this.held.clear();
    for (let i = 0; i < all.length; i += log.capacity) {
      await log.commit(new Map(all.slice(i, i + log.capacity)), this.now);
    }
  }

  async flush(): Promise<void> {
    await this.writePending();
    await this.inner.flush();
  }

  async close(): Promise<void> {
    await this.writePending();
    await this.inner.close();
  }
}

/**
 * Writes a block allocated in this operation (a new directory's, mapping or xattr block): nothing
 * on disk points at it until the transaction linking it is committed, so like file data it goes
 * straight to disk ahead of that transaction rather than through the journal. `cache`: keep it in
 * the metadata cache (a rebuilt directory is read back at once; a new directory's first block
 * mostly is not, and thousands of them would push out what is).
 */
export function writeFresh(vol: Volume, block: number, data: Uint8Array, cache = false): Promise<void> {
  const dev = vol.dev;
  const write = () => vol.writeBlocks(block, data, cache);
  return dev instanceof TxDevice ? dev.direct(write) : write();
}

/** Writes file data blocks: straight to disk, ahead of the transaction that will link them. */
export function writeData(vol: Volume, block: number, data: Uint8Array): Promise<void> {
  const dev = vol.dev;
  return dev instanceof TxDevice
    ? dev.direct(() => vol.writeBlocks(block, data, false))
    : vol.writeBlocks(block, data, false);
}
