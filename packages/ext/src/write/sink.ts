/**
 * Gathers metadata blocks written in any order and puts them on the device in ascending order,
 * coalescing neighbours into large writes (one `writev` per run when the device has it). Queuing
 * is synchronous (hot encoding loops stay plain functions); callers flush once `full` says the
 * byte budget is reached, so memory stays bounded however big the image is.
 */
import type { BlockDevice } from '@fstool/blockdev';

/** A device with positional vectored writes (FileDevice). Checked structurally, not with instanceof. */
export interface VectoredDevice extends BlockDevice {
  writev(offset: number, buffers: Uint8Array[]): Promise<void>;
}

export function hasWritev(dev: BlockDevice): dev is VectoredDevice {
  return typeof (dev as Partial<VectoredDevice>).writev === 'function';
}

const MAX_IOV = 1024;
const MAX_BATCH = 8 * 2 ** 20;

export class BlockSink {
  #pending: Array<{ offset: number; data: Uint8Array }> = [];
  #bytes = 0;
  /** Bytes written through this sink. */
  written = 0;

  constructor(
    private readonly dev: BlockDevice,
    private readonly blockSize: number,
    private readonly budget = 64 * 2 ** 20,
  ) {}

  /** Queues `data` (whole blocks) for block `block`. The buffer must not change afterwards. */
  put(block: number, data: Uint8Array): void {
    this.putAt(block * this.blockSize, data);
  }

  /** Queues bytes at a byte offset (the superblock of 1 KiB-block filesystems' block 0 etc.). */
  putAt(offset: number, data: Uint8Array): void {
    this.#pending.push({ offset, data });
    this.#bytes += data.length;
  }

  /** The queue holds the byte budget or more: time to flush. */
  get full(): boolean {
    return this.#bytes >= this.budget;
  }

  async flush(): Promise<void> {
    const items = this.#pending.sort((a, b) => a.offset - b.offset);
    this.#pending = [];
    this.#bytes = 0;
    let i = 0;
    while (i < items.length) {
      const first = items[i] as { offset: number; data: Uint8Array };
      const batch = [first.data];
      let end = first.offset + first.data.length;
      let size = first.data.length;
      let j = i + 1;
      while (j < items.length && batch.length < MAX_IOV && size < MAX_BATCH) {
        const next = items[j] as { offset: number; data: Uint8Array };
        if (next.offset !== end) break;
        batch.push(next.data);
        end += next.data.length;
        size += next.data.length;
        j++;
      }
      if (batch.length === 1) await this.dev.write(first.offset, first.data);
      else if (hasWritev(this.dev)) await this.dev.writev(first.offset, batch);
      else {
        const joined = new Uint8Array(size);
        let at = 0;
        for (const b of batch) {
          joined.set(b, at);
          at += b.length;
        }
        await this.dev.write(first.offset, joined);
      }
      this.written += size;
      i = j;
    }
  }
}
