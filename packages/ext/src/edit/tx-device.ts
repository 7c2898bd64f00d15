/**
 * The device under an editing Volume when the filesystem has a journal: metadata writes made
 * during an operation are held (reads see them) and go to disk as one journal transaction when
 * the operation ends. File data bypasses the buffer (`direct`), so it lands before the
 * transaction that links it (ordered mode). Without a journal it passes everything through.
 */
import type { BlockDevice } from '@fstool/blockdev';
import type { Volume } from '../read/volume.js';
import type { JournalLog } from './journal.js';

export class TxDevice implements BlockDevice {
  private readonly held = new Map<number, Uint8Array>();
  private log: JournalLog | undefined;
  private bs = 0;
  private bypass = 0;
  /** Commit time stamped on transactions. */
  now = 0;

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
    await this.inner.read(offset, into);
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
      await this.inner.write(offset, data);
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
        if (this.held.size >= this.log.capacity) await this.commit();
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

  async zero(offset: number, length: number): Promise<void> {
    if (!this.log || this.bypass > 0) return this.inner.zero(offset, length);
    await this.write(offset, new Uint8Array(length));
  }

  /** Journals and checkpoints what is held (a no-op without a journal or with nothing held). */
  async commit(): Promise<void> {
    if (!this.log || this.held.size === 0) return;
    const blocks = new Map(this.held);
    this.held.clear();
    await this.log.commit(blocks, this.now);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Writes file data blocks: straight to disk, ahead of the transaction that will link them. */
export function writeData(vol: Volume, block: number, data: Uint8Array): Promise<void> {
  const dev = vol.dev;
  return dev instanceof TxDevice ? dev.direct(() => vol.writeBlocks(block, data)) : vol.writeBlocks(block, data);
}
