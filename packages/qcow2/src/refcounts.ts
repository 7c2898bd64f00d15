/**
 * The refcount table and its blocks, and the append-only cluster allocator built on them.
 * A refcount block covers `clusterSize * 8 / refcountBits` host clusters; new blocks and a grown
 * refcount table are placed at the end of the image and account for themselves.
 */
import { type BlockDevice, CorruptError, FsError } from '@fstool/blockdev';
import { TableCache } from './cache.js';
import { MAX_REFTABLE_BYTES } from './format/header.js';
import { type RefcountCodec, refcountCodec, reftableOffset, setReftableOffset } from './format/tables.js';
import { readPadded } from './io.js';

export interface RefcountLayout {
  clusterBits: number;
  refcountOrder: number;
  tableOffset: number;
  tableClusters: number;
}

export class Refcounts {
  readonly codec: RefcountCodec;
  readonly #cs: number;
  /** Host clusters covered by one refcount block. */
  readonly perBlock: number;
  readonly #cache: TableCache;
  #table: Uint8Array;
  #tableDirty = false;
  /** Set when the table moved: the header must be rewritten. */
  tableMoved = false;
  /** Index of the first host cluster past everything allocated: where the next allocation goes. */
  end: number;

  private constructor(
    private readonly dev: BlockDevice,
    readonly layout: RefcountLayout,
    table: Uint8Array,
    end: number,
    cacheBytes: number,
  ) {
    this.#cs = 2 ** layout.clusterBits;
    this.codec = refcountCodec(layout.refcountOrder);
    this.perBlock = (this.#cs * 8) / this.codec.bits;
    this.#cache = new TableCache(dev, this.#cs, cacheBytes);
    this.#table = table;
    this.end = end;
  }

  /** Loads the refcount table; the header has already bounded its size by the file size. */
  static async load(dev: BlockDevice, layout: RefcountLayout, end: number, cacheBytes: number): Promise<Refcounts> {
    const table = new Uint8Array(layout.tableClusters * 2 ** layout.clusterBits);
    await readPadded(dev, layout.tableOffset, table);
    const r = new Refcounts(dev, layout, table, end, cacheBytes);
    r.end = Math.max(end, await r.#lastInUse());
    return r;
  }

  /**
   * One past the last cluster in use by the refcounts (the table, its blocks, and clusters with a
   * non-zero count), so new clusters never land on ones counted past the end of a short file.
   */
  async #lastInUse(): Promise<number> {
    const cs = this.#cs;
    let last = this.layout.tableOffset / cs + this.layout.tableClusters;
    for (let bi = 0; bi < this.tableEntries; bi++) {
      const off = this.blockOffset(bi);
      if (off !== 0) last = Math.max(last, Math.floor(off / cs) + 1);
    }
    // Scan blocks from the top down, stopping once they only cover clusters below `last`.
    for (let bi = this.tableEntries - 1; bi >= 0 && (bi + 1) * this.perBlock > last; bi--) {
      const off = this.blockOffset(bi);
      if (off === 0) continue;
      this.#checkBlock(bi, off);
      const block = await this.#cache.get(off);
      for (let i = this.perBlock - 1; i >= 0; i--) {
        if (this.codec.get(block, i) !== 0) return Math.max(last, bi * this.perBlock + i + 1);
      }
    }
    return last;
  }

  /** A fresh table (all zero) for a new image; `end` is the first cluster after the initial layout. */
  static fresh(dev: BlockDevice, layout: RefcountLayout, end: number, cacheBytes: number): Refcounts {
    const table = new Uint8Array(layout.tableClusters * 2 ** layout.clusterBits);
    const r = new Refcounts(dev, layout, table, end, cacheBytes);
    r.#tableDirty = true;
    return r;
  }

  get tableEntries(): number {
    return this.#table.length / 8;
  }

  /** Offset of refcount block `i` (0 when absent). */
  blockOffset(i: number): number {
    return i < this.tableEntries ? reftableOffset(this.#table, i) : 0;
  }

  async get(cluster: number): Promise<number> {
    const bi = Math.floor(cluster / this.perBlock);
    const off = this.blockOffset(bi);
    if (off === 0) return 0;
    this.#checkBlock(bi, off);
    const block = await this.#cache.get(off);
    return this.codec.get(block, cluster % this.perBlock);
  }

  /** Adds `delta` to a cluster's refcount, creating the refcount block when needed. */
  async adjust(cluster: number, delta: number): Promise<number> {
    const cur = await this.get(cluster);
    const next = cur + delta;
    if (next < 0 || next > this.codec.max) {
      throw new CorruptError(
        `qcow2 refcount of host cluster ${cluster} would become ${next} (allowed 0..${this.codec.max})`,
      );
    }
    await this.set(cluster, next);
    return next;
  }

  async set(cluster: number, value: number): Promise<void> {
    const bi = Math.floor(cluster / this.perBlock);
    let off = this.blockOffset(bi);
    if (off === 0) {
      if (value === 0) return;
      off = await this.#newBlock(bi);
    }
    this.#checkBlock(bi, off);
    const i = cluster % this.perBlock;
    await this.#cache.update(off, (block) => this.codec.set(block, i, value), ...this.#bytes(i, i + 1));
  }

  /** The bytes of a refcount block holding entries [from, to). */
  #bytes(from: number, to: number): [number, number] {
    return [Math.floor((from * this.codec.bits) / 8), Math.ceil((to * this.codec.bits) / 8)];
  }

  /** Allocates `n` contiguous clusters at the end of the image (refcount 1 each); returns the first's offset. */
  async allocate(n: number): Promise<number> {
    const first = this.end;
    this.end += n;
    // One block lookup per refcount block the range touches; new blocks go after the range.
    for (let c = first; c < first + n; ) {
      const bi = Math.floor(c / this.perBlock);
      const stop = Math.min(first + n, (bi + 1) * this.perBlock);
      let off = this.blockOffset(bi);
      if (off === 0) off = await this.#newBlock(bi);
      this.#checkBlock(bi, off);
      const from = c;
      const base = bi * this.perBlock;
      await this.#cache.update(
        off,
        (block) => {
          for (let k = from; k < stop; k++) {
            const i = k - base;
            this.codec.set(block, i, this.codec.get(block, i) + 1);
          }
        },
        ...this.#bytes(from - base, stop - base),
      );
      c = stop;
    }
    return first * this.#cs;
  }

  /** Writes dirty refcount blocks, then the table. */
  async flush(): Promise<void> {
    await this.#cache.flush();
    if (this.#tableDirty) {
      await this.dev.write(this.layout.tableOffset, this.#table);
      this.#tableDirty = false;
    }
  }

  #checkBlock(bi: number, off: number): void {
    if (off % this.#cs !== 0) {
      throw new CorruptError(`qcow2 refcount table entry ${bi}: block offset ${off} is not cluster aligned`);
    }
  }

  async #newBlock(bi: number): Promise<number> {
    if (bi >= this.tableEntries) {
      await this.#grow(bi);
      // Counting the grown table may itself have created block `bi`.
      const made = this.blockOffset(bi);
      if (made !== 0) return made;
    }
    const cluster = this.end++;
    const off = cluster * this.#cs;
    setReftableOffset(this.#table, bi, off);
    this.#tableDirty = true;
    const block = await this.#cache.create(off);
    // The new block's own refcount: in itself when it covers its own cluster, else through the table.
    if (Math.floor(cluster / this.perBlock) === bi) this.codec.set(block, cluster % this.perBlock, 1);
    else await this.adjust(cluster, 1);
    return off;
  }

  /**
   * Moves the table to the end of the image with room for block `bi`, for the new table itself
   * and for the blocks that will count it. The old table's clusters are freed.
   */
  async #grow(bi: number): Promise<void> {
    const cs = this.#cs;
    const old = { offset: this.layout.tableOffset, clusters: this.layout.tableClusters };
    let clusters = Math.max(old.clusters * 2, Math.ceil(((bi + 1) * 8) / cs));
    for (;;) {
      const lastCluster = this.end + clusters + Math.ceil(clusters / this.perBlock) + 2;
      if (Math.floor(lastCluster / this.perBlock) < (clusters * cs) / 8) break;
      clusters *= 2;
    }
    if (clusters * cs > MAX_REFTABLE_BYTES) {
      throw new FsError('NO_SPACE', `qcow2 refcount table would exceed ${MAX_REFTABLE_BYTES} bytes`);
    }
    const table = new Uint8Array(clusters * cs);
    table.set(this.#table);
    const first = this.end;
    this.end += clusters;
    this.#table = table;
    this.layout.tableOffset = first * cs;
    this.layout.tableClusters = clusters;
    this.#tableDirty = true;
    this.tableMoved = true;
    for (let c = first; c < first + clusters; c++) await this.adjust(c, 1);
    const oldFirst = old.offset / cs;
    for (let c = oldFirst; c < oldFirst + old.clusters; c++) await this.adjust(c, -1);
  }
}
