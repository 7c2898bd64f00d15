import { type BlockDevice, settleAll } from '@fstool/blockdev';
import { readPadded } from './io.js';

interface Slot {
  buf: Uint8Array;
  /** The changed bytes [lo, hi) not yet written (lo >= hi: clean). */
  lo: number;
  hi: number;
}

/**
 * Dirty ranges are written in whole 512-byte sectors: the smallest unit a disk writes atomically,
 * so one entry never lands half-written, and a small change costs one small write.
 */
export const SECTOR = 512;

/**
 * A bounded LRU cache of cluster-sized metadata tables (L2 tables or refcount blocks) keyed by host
 * offset. Dirty tables are written back when evicted and on `flush()`, only the sectors that
 * changed. The bound is in bytes; at least a few tables are always kept so one request never thrashes.
 */
export class TableCache {
  readonly #slots = new Map<number, Slot>();
  readonly #capacity: number;

  /**
   * `beforeEviction` runs before a dirty table is written back on eviction: the L2 cache flushes
   * refcounts there, so tables never reach the disk ahead of the counts of what they reference.
   */
  constructor(
    private readonly dev: BlockDevice,
    private readonly tableBytes: number,
    capacityBytes: number,
    private readonly beforeEviction?: () => Promise<void>,
  ) {
    this.#capacity = Math.max(4, Math.floor(capacityBytes / tableBytes));
  }

  /** The table at `offset` when it is cached (and marks it recently used), without I/O. */
  peek(offset: number): Uint8Array | undefined {
    const hit = this.#slots.get(offset);
    if (!hit) return undefined;
    this.#slots.delete(offset);
    this.#slots.set(offset, hit);
    return hit.buf;
  }

  /** The table at `offset`, read from the container on a miss. */
  async get(offset: number): Promise<Uint8Array> {
    const hit = this.peek(offset);
    if (hit) return hit;
    const buf = new Uint8Array(this.tableBytes);
    await readPadded(this.dev, offset, buf);
    await this.#insert(offset, { buf, lo: 0, hi: 0 });
    return buf;
  }

  /**
   * Reads the tables at `offsets` not cached yet, all at once (at most what the cache holds):
   * a walk over many tables then waits for one round of reads instead of one per table. The
   * reads run in parallel into fresh buffers; they join the cache one by one, as `get` adds them.
   */
  async prefetch(offsets: number[]): Promise<void> {
    const missing = [...new Set(offsets)].filter((o) => !this.#slots.has(o)).slice(0, this.#capacity);
    if (missing.length < 2) return;
    const bufs = await Promise.all(
      missing.map(async (offset) => {
        const buf = new Uint8Array(this.tableBytes);
        await readPadded(this.dev, offset, buf);
        return buf;
      }),
    );
    for (const [k, offset] of missing.entries()) {
      // Never replace a cached (maybe dirty) table.
      if (!this.#slots.has(offset)) await this.#insert(offset, { buf: bufs[k] as Uint8Array, lo: 0, hi: 0 });
    }
  }

  /** A new all-zero table at `offset` (a freshly allocated cluster), already marked dirty. */
  async create(offset: number): Promise<Uint8Array> {
    const buf = new Uint8Array(this.tableBytes);
    await this.#insert(offset, { buf, lo: 0, hi: buf.length });
    return buf;
  }

  /**
   * Changes bytes [from, to) of the table at `offset` (default: all of it) and marks them dirty.
   * `change` runs synchronously right after the lookup, so no other operation can evict the table
   * between the two.
   */
  async update<T>(offset: number, change: (table: Uint8Array) => T, from = 0, to = this.tableBytes): Promise<T> {
    const buf = this.peek(offset) ?? (await this.get(offset));
    const result = change(buf);
    const slot = this.#slots.get(offset);
    if (slot) {
      slot.lo = slot.hi > slot.lo ? Math.min(slot.lo, from) : from;
      slot.hi = Math.max(slot.hi, to);
    }
    return result;
  }

  /**
   * Writes the changed sectors of every dirty table, all at once (the order among tables of one
   * kind does not matter; callers order the kinds); throws the first failure once all have ended.
   */
  async flush(): Promise<void> {
    const dirty = [...this.#slots.entries()].filter(([, s]) => s.hi > s.lo).sort((a, b) => a[0] - b[0]);
    await settleAll(dirty.map(([offset, slot]) => this.#writeBack(offset, slot)));
  }

  async #writeBack(offset: number, slot: Slot): Promise<void> {
    const lo = Math.floor(slot.lo / SECTOR) * SECTOR;
    const hi = Math.min(slot.buf.length, Math.ceil(slot.hi / SECTOR) * SECTOR);
    await this.dev.write(offset + lo, slot.buf.subarray(lo, hi));
    slot.lo = 0;
    slot.hi = 0;
  }

  async #insert(offset: number, slot: Slot): Promise<void> {
    this.#slots.set(offset, slot);
    while (this.#slots.size > this.#capacity) {
      const [oldest, victim] = this.#slots.entries().next().value as [number, Slot];
      this.#slots.delete(oldest);
      if (victim.hi > victim.lo) {
        await this.beforeEviction?.();
        await this.#writeBack(oldest, victim);
      }
    }
  }
}
