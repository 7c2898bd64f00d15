/**
 * `Qcow2Device`: a qcow2 image seen as a BlockDevice of its virtual size, stored in another
 * BlockDevice (the container). Reads map virtual clusters through L1/L2 tables; writes allocate
 * host clusters append-only. Opened images write in order: a write that maps new clusters returns
 * only after its data, then the refcounts, then the L2 (and L1) entries are in the container, so
 * the container always holds a prefix of the caller's writes and a crash or an I/O error at any
 * point leaves at worst leaked clusters. New images (and `writeBack`) keep that metadata in
 * bounded caches until `flush()`.
 */
import {
  type BlockDevice,
  ClosedError,
  CorruptError,
  checkRange,
  type DataRange,
  InvalidArgumentError,
  ReadOnlyError,
  settleAll,
} from '@fstool/blockdev';
import { SECTOR, TableCache } from './cache.js';
import { check } from './check.js';
import { deflateClusters, inflateCluster } from './compress.js';
import { BackingFileError } from './errors.js';
import { refuseIncompatible, refuseUnsafeWrites } from './features.js';
import {
  ExtensionType,
  encodeHeaderCluster,
  encodeHeaderFields,
  featureNameTable,
  Incompatible,
  MAX_CLUSTER_BITS,
  MAX_L1_BYTES,
  MIN_CLUSTER_BITS,
  type Qcow2Header,
  V3_HEADER_LENGTH,
} from './format/header.js';
import { entryOffset, type L2Entry, readL2, writeCompressed, writeEntry } from './format/tables.js';
import { describeHeader, type Qcow2Info } from './info.js';
import { extendTo, readPadded } from './io.js';
import { dataRanges } from './map.js';
import {
  type CreateOptions,
  DEFAULT_CLUSTER_SIZE,
  DEFAULT_L2_CACHE,
  DEFAULT_REFCOUNT_CACHE,
  type Deflater,
  type OpenOptions,
} from './options.js';
import { readHeader } from './probe.js';
import { Refcounts } from './refcounts.js';
import { type Mapping, type WriteContext, writeClusters } from './write.js';

/** A piece of a read: bytes [at, at + len) of the caller's buffer, from the host file, the backing image, or zeros. */
interface Run {
  kind: 'host' | 'zero' | 'backing';
  host: number;
  at: number;
  len: number;
}

const UNALLOCATED: L2Entry = { kind: 'unallocated', offset: 0, compressedSize: 0, copied: false };

export class Qcow2Device implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly clusterSize: number;
  readonly #h: Qcow2Header;
  readonly #cluster0: Uint8Array;
  readonly #l1: Uint8Array;
  /** The changed bytes [lo, hi) of the L1 table not yet written (lo >= hi: clean). */
  #l1Lo = 0;
  #l1Hi = 0;
  readonly #l2: TableCache;
  readonly #refs: Refcounts | undefined;
  readonly #backing: BlockDevice | undefined;
  readonly #compress: boolean;
  readonly #writeBack: boolean;
  readonly #deflater: Deflater | undefined;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Data writes of a write-back image still landing: their clusters are allocated and mapped,
   * so the next write need not wait for them (see `write.ts`). Reads, overwrites and `flush()`
   * wait for them first.
   */
  readonly #landing = new Set<Promise<void>>();
  /** The first of those writes that failed: `flush()` (and so `close()`) throws it. */
  #lost: { error: unknown } | undefined;
  /** The last compressed cluster inflated, keyed by its descriptor offset. */
  #inflated: { offset: number; data: Uint8Array } | undefined;
  /** Where the next compressed cluster is packed (0: start a new host cluster). */
  #compressCursor = 0;

  private constructor(
    readonly container: BlockDevice,
    header: Qcow2Header,
    cluster0: Uint8Array,
    l1: Uint8Array,
    refs: Refcounts | undefined,
    backing: BlockDevice | undefined,
    opts: { l2CacheBytes?: number; compress?: boolean; deflater?: Deflater; writeBack?: boolean },
  ) {
    this.#h = header;
    this.#cluster0 = cluster0;
    this.#l1 = l1;
    this.#refs = refs;
    this.#backing = backing;
    this.size = header.size;
    this.readOnly = refs === undefined;
    this.clusterSize = 2 ** header.clusterBits;
    this.#l2 = new TableCache(
      container,
      this.clusterSize,
      opts.l2CacheBytes ?? DEFAULT_L2_CACHE,
      refs ? () => this.#flushRefcounts(refs) : undefined,
    );
    this.#compress = opts.compress ?? false;
    this.#writeBack = opts.writeBack ?? false;
    this.#deflater = opts.deflater;
  }

  /**
   * Creates an empty image in `container` (which should be empty and growable) and opens it for
   * writing. The device owns the container (and `opts.backing`): `close()` closes them.
   */
  static async create(container: BlockDevice, opts: CreateOptions): Promise<Qcow2Device> {
    const cs = opts.clusterSize ?? DEFAULT_CLUSTER_SIZE;
    const clusterBits = Math.log2(cs);
    const version = opts.version ?? 3;
    const refcountOrder = opts.refcountOrder ?? 4;
    if (!Number.isInteger(clusterBits) || clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
      throw new InvalidArgumentError(`qcow2 cluster size ${cs} must be a power of two from 512 B to 2 MiB`);
    }
    if (version !== 2 && version !== 3) throw new InvalidArgumentError(`qcow2 version ${version} must be 2 or 3`);
    if (!Number.isInteger(refcountOrder) || refcountOrder < 0 || refcountOrder > 6) {
      throw new InvalidArgumentError(`qcow2 refcount order ${refcountOrder} must be 0..6`);
    }
    if (version === 2 && refcountOrder !== 4) {
      throw new InvalidArgumentError('qcow2 version 2 supports only 16-bit refcounts (refcount order 4)');
    }
    if (!Number.isSafeInteger(opts.virtualSize) || opts.virtualSize < 0) {
      throw new InvalidArgumentError(`qcow2 virtual size ${opts.virtualSize} must be a non-negative integer`);
    }
    if (container.readOnly) throw new ReadOnlyError('qcow2 container');
    if ((opts.backingFile === undefined) !== (opts.backing === undefined)) {
      // Without the backing image, partial writes would fill the rest of a cluster with zeros.
      throw new InvalidArgumentError('qcow2 create: backingFile (the name) and backing (the opened image) go together');
    }
    const l1Size = Math.ceil(opts.virtualSize / (cs * (cs / 8)));
    if (l1Size * 8 > MAX_L1_BYTES) {
      throw new InvalidArgumentError(
        `qcow2 virtual size ${opts.virtualSize} needs an L1 table over ${MAX_L1_BYTES} bytes; use larger clusters`,
      );
    }
    const extensions = [];
    if (opts.backingFormat !== undefined) {
      extensions.push({ type: ExtensionType.backingFormat, data: new TextEncoder().encode(opts.backingFormat) });
    }
    if (version === 3) extensions.push({ type: ExtensionType.featureNames, data: featureNameTable() });
    const header: Qcow2Header = {
      version,
      backingFileOffset: 0,
      backingFileSize: 0,
      clusterBits,
      size: opts.virtualSize,
      cryptMethod: 0,
      l1Size,
      l1TableOffset: 0,
      refcountTableOffset: cs,
      refcountTableClusters: 1,
      nbSnapshots: 0,
      snapshotsOffset: 0,
      incompatible: [],
      compatible: [],
      autoclear: [],
      refcountOrder,
      headerLength: version === 3 ? V3_HEADER_LENGTH : 72,
      compressionType: 0,
      extensions,
      backingFile: opts.backingFile,
      backingFormat: opts.backingFormat,
    };
    // Layout as QEMU makes it: header, refcount table, refcount block 0 (made on demand), L1 table.
    const layout = { clusterBits, refcountOrder, tableOffset: cs, tableClusters: 1 };
    const refs = Refcounts.fresh(container, layout, 2, opts.refcountCacheBytes ?? DEFAULT_REFCOUNT_CACHE);
    await refs.adjust(0, 1);
    await refs.adjust(1, 1);
    const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / cs));
    header.l1TableOffset = await refs.allocate(l1Clusters);
    header.refcountTableOffset = refs.layout.tableOffset;
    header.refcountTableClusters = refs.layout.tableClusters;
    const cluster0 = encodeHeaderCluster(header);
    await container.write(0, cluster0);
    const l1 = new Uint8Array(l1Clusters * cs);
    const dev = new Qcow2Device(container, header, cluster0, l1, refs, opts.backing, {
      ...opts,
      writeBack: opts.writeBack ?? true,
    });
    dev.#markL1(0, l1.length);
    await dev.flush();
    return dev;
  }

  /**
   * Opens an image. Writing is refused for images marked corrupt and images with internal
   * snapshots; a dirty image (lazy refcounts, not closed cleanly) gets its refcounts rebuilt first.
   */
  static async open(container: BlockDevice, opts: OpenOptions = {}): Promise<Qcow2Device> {
    let { header: h, cluster0 } = await readHeader(container);
    const writable = opts.writable ?? false;
    refuseIncompatible(h);
    if (writable) {
      if (container.readOnly) throw new ReadOnlyError('qcow2 container');
      refuseUnsafeWrites(h);
      if (h.incompatible.includes(Incompatible.dirty)) {
        // Left open with lazy refcounts (its writer stopped without a clean close): rebuild the
        // refcounts from the tables before writing, as QEMU does on open.
        await check(container, { repair: true });
        ({ header: h, cluster0 } = await readHeader(container));
      }
    }
    let backing: BlockDevice | undefined;
    if (h.backingFile !== undefined && opts.ignoreBacking) {
      // Partial writes would fill the rest of a cluster with zeros instead of the backing data.
      if (writable) throw new BackingFileError(`qcow2 image with backing file "${h.backingFile}": writing needs it`);
    } else if (h.backingFile !== undefined) {
      if (!opts.openBacking) {
        throw new BackingFileError(`qcow2 image has backing file "${h.backingFile}" but no way to open it was given`);
      }
      backing = await opts.openBacking(h.backingFile, h.backingFormat);
    }
    try {
      const cs = 2 ** h.clusterBits;
      const l1 = new Uint8Array(Math.max(1, Math.ceil((h.l1Size * 8) / cs)) * cs);
      await readPadded(container, h.l1TableOffset, l1.subarray(0, h.l1Size * 8));
      let refs: Refcounts | undefined;
      if (writable) {
        const layout = {
          clusterBits: h.clusterBits,
          refcountOrder: h.refcountOrder,
          tableOffset: h.refcountTableOffset,
          tableClusters: h.refcountTableClusters,
        };
        const end = Math.ceil(container.size / cs);
        refs = await Refcounts.load(container, layout, end, opts.refcountCacheBytes ?? DEFAULT_REFCOUNT_CACHE);
      }
      const dev = new Qcow2Device(container, h, cluster0, l1, refs, backing, opts);
      if (writable && h.autoclear.length > 0) {
        // Autoclear features (e.g. persistent bitmaps) are not maintained here: clearing them tells
        // QEMU their data is stale, as the spec requires of writers that do not understand them.
        h.autoclear = [];
        await dev.#writeHeader();
      }
      return dev;
    } catch (err) {
      await backing?.close();
      throw err;
    }
  }

  /** The header summary (what `qemu-img info` shows), as a plain JSON-ready object. */
  async info(): Promise<Qcow2Info> {
    return this.#run(async () => describeHeader(this.#h, this.container));
  }

  read(offset: number, into: Uint8Array): Promise<void> {
    // A writable image reads inside the queue: a write may move what a read is about to fetch.
    if (this.#refs) {
      return this.#run(async () => {
        await this.#settle();
        return (await this.#locate(offset, into))();
      });
    }
    return this.#run(() => this.#locate(offset, into)).then((fetch) => fetch());
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.#run(() => this.#write(offset, data.length, data)).then((w) => w.landed);
  }

  zero(offset: number, length: number): Promise<void> {
    return this.#run(() => this.#write(offset, length, undefined)).then((w) => w.landed);
  }

  flush(): Promise<void> {
    return this.#run(() => this.#flush());
  }

  /** Where the image holds data, from the L1/L2 map (see map.ts). */
  dataRanges(offset: number, length: number): Promise<DataRange[]> {
    checkRange(offset, length, this.size, 'dataRanges');
    return this.#run(() =>
      dataRanges(
        {
          clusterSize: this.clusterSize,
          l2Entries: this.#l2Entries,
          size: this.size,
          backing: this.#backing,
          table: (vc) => this.#table(vc),
          entry: (table, vc) => this.#decode(table, vc),
          prefetch: (from, to) => this.#prefetch(from, to),
        },
        offset,
        length,
      ),
    );
  }

  /**
   * Flushes metadata, then closes the backing image and the container, which are closed even when
   * the flush fails (its error is thrown). Closing twice is harmless.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#run(async () => {
      try {
        if (this.#refs) await this.#flush();
      } finally {
        this.#closed = true;
        await this.#backing?.close();
        await this.container.close();
      }
    });
  }

  /** Serialises operations: metadata caches are shared state. */
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(() => {
      if (this.#closed) throw new ClosedError();
      return fn();
    });
    this.#queue = p.catch(() => undefined);
    return p;
  }

  get #l2Entries(): number {
    return this.clusterSize / 8;
  }

  /** Offset of the L2 table for L1 index `i` (0 = none), validated. */
  #l2Offset(i: number): number {
    const off = entryOffset(this.#l1, i);
    if (off % this.clusterSize !== 0) {
      throw new CorruptError(`qcow2 L1 entry ${i}: L2 table offset ${off} is not cluster aligned`);
    }
    return off;
  }

  /** Waits until every data write still landing has ended, failed or not. */
  async #settle(): Promise<void> {
    if (this.#landing.size > 0) await Promise.allSettled([...this.#landing]);
  }

  #track(landing: Promise<void>): void {
    const done = landing.then(
      () => undefined,
      (error: unknown) => {
        this.#lost ??= { error };
      },
    );
    this.#landing.add(done);
    void done.then(() => this.#landing.delete(done));
  }

  /** The L2 table holding virtual cluster `vc`'s entry, or undefined when its L1 entry is empty. */
  async #table(vc: number): Promise<Uint8Array | undefined> {
    const off = this.#l2Offset(Math.floor(vc / this.#l2Entries));
    return off === 0 ? undefined : this.#l2.get(off);
  }

  /** Reads the L2 tables covering virtual clusters [from, to) that are not cached, in one round. */
  async #prefetch(from: number, to: number): Promise<void> {
    const offsets: number[] = [];
    for (let i = Math.floor(from / this.#l2Entries); i < Math.ceil(to / this.#l2Entries); i++) {
      const off = this.#l2Offset(i);
      if (off !== 0) offsets.push(off);
    }
    await this.#l2.prefetch(offsets);
  }

  #decode(table: Uint8Array | undefined, vc: number): L2Entry {
    if (!table) return UNALLOCATED;
    const e = readL2(table, vc % this.#l2Entries, this.#h.clusterBits, this.#h.version === 3);
    if (e.kind === 'normal' || (e.kind === 'zero' && e.offset !== 0)) {
      if (e.offset % this.clusterSize !== 0) {
        throw new CorruptError(`qcow2 L2 entry for virtual cluster ${vc}: offset ${e.offset} is not cluster aligned`);
      }
    }
    return e;
  }

  /**
   * Finds where `into`'s bytes live and returns the reads that fetch them (compressed clusters
   * are inflated here). The map walk needs the queue; the reads it returns do not: a read-only
   * image runs them outside it, so a copy keeps several reads of one image in flight.
   */
  async #locate(offset: number, into: Uint8Array): Promise<() => Promise<void>> {
    checkRange(offset, into.length, this.size, 'read');
    const cs = this.clusterSize;
    const span = cs * this.#l2Entries;
    const runs: Run[] = [];
    /** Grows the last run by a piece that continues it (same kind, and adjacent on the host). */
    const add = (kind: Run['kind'], host: number, at: number, len: number) => {
      const last = runs[runs.length - 1];
      if (last && last.kind === kind && (kind !== 'host' || last.host + last.len === host)) last.len += len;
      else runs.push({ kind, host, at, len });
    };
    let pos = 0;
    // The L2 table of the previous cluster, reused while the clusters stay in its range.
    let table: Uint8Array | undefined;
    let tableIndex = -1;
    while (pos < into.length) {
      const voff = offset + pos;
      const vc = Math.floor(voff / cs);
      if (Math.floor(vc / this.#l2Entries) !== tableIndex) {
        table = await this.#table(vc);
        tableIndex = Math.floor(vc / this.#l2Entries);
      }
      if (!table) {
        const n = Math.min(span - (voff % span), into.length - pos);
        add(this.#backing ? 'backing' : 'zero', 0, pos, n);
        pos += n;
        continue;
      }
      const inner = voff % cs;
      const n = Math.min(cs - inner, into.length - pos);
      const e = this.#decode(table, vc);
      if (e.kind === 'compressed') {
        const data = await this.#inflate(e, vc);
        into.set(data.subarray(inner, inner + n), pos);
      } else if (e.kind === 'normal') add('host', e.offset + inner, pos, n);
      else add(e.kind === 'unallocated' && this.#backing ? 'backing' : 'zero', 0, pos, n);
      pos += n;
    }
    return async () => {
      const reads = runs.map((r) => {
        const dst = into.subarray(r.at, r.at + r.len);
        if (r.kind === 'host') return readPadded(this.container, r.host, dst);
        if (r.kind === 'backing') return this.#readBacking(offset + r.at, dst);
        dst.fill(0);
        return undefined;
      });
      // Every read ends before the caller gets its buffer back, failed or not.
      await settleAll(reads);
    };
  }

  /** Reads from the backing image; past its end reads zeros. */
  async #readBacking(voff: number, into: Uint8Array): Promise<void> {
    const b = this.#backing;
    const avail = b ? Math.max(0, Math.min(into.length, b.size - voff)) : 0;
    if (b && avail > 0) await b.read(voff, into.subarray(0, avail));
    into.fill(0, avail);
  }

  async #inflate(e: L2Entry, vc: number): Promise<Uint8Array> {
    if (this.#inflated?.offset === e.offset) return this.#inflated.data;
    const packed = new Uint8Array(e.compressedSize);
    await readPadded(this.container, e.offset, packed);
    const data = new Uint8Array(this.clusterSize);
    await inflateCluster(
      this.#h.compressionType,
      packed,
      data,
      `qcow2 virtual cluster ${vc} (host offset ${e.offset})`,
    );
    this.#inflated = { offset: e.offset, data };
    return data;
  }

  async #write(offset: number, length: number, data: Uint8Array | undefined): Promise<{ landed: Promise<void> }> {
    const refs = this.#refs;
    if (!refs) throw new ReadOnlyError('qcow2 image');
    checkRange(offset, length, this.size, data ? 'write' : 'zero');
    this.#inflated = undefined;
    return writeClusters(this.#context(refs), offset, length, data);
  }

  #context(refs: Refcounts): WriteContext {
    return {
      container: this.container,
      clusterSize: this.clusterSize,
      l2Entries: this.#l2Entries,
      v3: this.#h.version === 3,
      hasBacking: this.#backing !== undefined,
      compress: this.#compress,
      refs,
      table: (vc) => this.#table(vc),
      entry: (table, vc) => this.#decode(table, vc),
      ensureL2: (vc) => this.#ensureL2(refs, vc),
      setEntries: (maps) => this.#setEntries(maps),
      writeBack: this.#writeBack,
      settle: () => this.#settle(),
      track: (landing) => this.#track(landing),
      commit: () => (this.#writeBack ? Promise.resolve() : this.#persist(refs)),
      setCompressed: (vc, offset, size) =>
        this.#updateEntry(vc, (t, i) => writeCompressed(t, i, this.#h.clusterBits, offset, size)),
      readBacking: (voff, into) => this.#readBacking(voff, into),
      inflate: (e, vc) => this.#inflate(e, vc),
      deflate: (clusters) => deflateClusters(this.#h.compressionType, clusters, this.#deflater),
      placeCompressed: (bytes) => this.#placeCompressed(refs, bytes),
    };
  }

  /** Writes L2 entries, one table update per L2 table touched. */
  async #setEntries(maps: Mapping[]): Promise<void> {
    const per = this.#l2Entries;
    for (let i = 0; i < maps.length; ) {
      const l1Index = Math.floor((maps[i] as Mapping).vc / per);
      let j = i + 1;
      while (j < maps.length && Math.floor((maps[j] as Mapping).vc / per) === l1Index) j++;
      const from = i;
      const to = j;
      // Every allocated cluster here has refcount 1, so COPIED goes with any host offset.
      await this.#updateEntry(
        (maps[i] as Mapping).vc,
        (t) => {
          for (let k = from; k < to; k++) {
            const m = maps[k] as Mapping;
            writeEntry(t, m.vc % per, m.offset, m.offset !== 0, m.zero);
          }
        },
        (maps[to - 1] as Mapping).vc,
      );
      i = j;
    }
  }

  /** Changes the L2 entries of virtual clusters vc..last (one table) through `change`. */
  async #updateEntry(vc: number, change: (table: Uint8Array, i: number) => void, last = vc): Promise<void> {
    const per = this.#l2Entries;
    const off = this.#l2Offset(Math.floor(vc / per));
    if (off === 0) throw new CorruptError(`qcow2: no L2 table for virtual cluster ${vc}`);
    await this.#l2.update(off, (t) => change(t, vc % per), (vc % per) * 8, ((last % per) + 1) * 8);
  }

  /** Makes sure the L2 table for `vc` exists (allocating it at the end of the image). */
  async #ensureL2(refs: Refcounts, vc: number): Promise<void> {
    const i = Math.floor(vc / this.#l2Entries);
    if (this.#l2Offset(i) !== 0) return;
    const off = await refs.allocate(1);
    await this.#l2.create(off);
    writeEntry(this.#l1, i, off, true);
    this.#markL1(i * 8, i * 8 + 8);
  }

  #markL1(lo: number, hi: number): void {
    this.#l1Lo = this.#l1Hi > this.#l1Lo ? Math.min(this.#l1Lo, lo) : lo;
    this.#l1Hi = Math.max(this.#l1Hi, hi);
  }

  /**
   * Byte-granular space for one compressed cluster, packed after the previous one. Every host
   * cluster the data touches gets one reference, as QEMU counts them.
   */
  async #placeCompressed(refs: Refcounts, bytes: number): Promise<number> {
    const cs = this.clusterSize;
    const cur = this.#compressCursor;
    const c = Math.floor(cur / cs);
    // Keep packing into the cursor's cluster while its refcount has room for one more reference.
    if (cur % cs !== 0 && (await refs.get(c)) < refs.codec.max) {
      if (cs - (cur % cs) >= bytes) {
        await refs.adjust(c, 1);
        this.#compressCursor = cur + bytes;
        return cur;
      }
      if (refs.end === c + 1) {
        // The cursor's cluster is the last one: spill into freshly allocated clusters after it.
        await refs.adjust(c, 1);
        await refs.allocate(Math.ceil((bytes - (cs - (cur % cs))) / cs));
        this.#compressCursor = cur + bytes;
        return cur;
      }
    }
    const at = await refs.allocate(Math.ceil(bytes / cs));
    this.#compressCursor = at + bytes;
    return at;
  }

  async #flush(): Promise<void> {
    await this.#settle();
    // Metadata pointing at clusters whose data never landed must not be made to look complete.
    if (this.#lost) throw this.#lost.error;
    if (this.#refs) await this.#persist(this.#refs);
    await this.container.flush();
  }

  /**
   * Writes the changed metadata: refcounts before the tables that reference the clusters, L2
   * tables before the L1 entries pointing at them. A cut at any write then leaves clusters
   * counted but unused (leaks), never used but uncounted (corruption).
   */
  async #persist(refs: Refcounts): Promise<void> {
    await this.#flushRefcounts(refs);
    await this.#l2.flush();
    if (this.#l1Hi > this.#l1Lo) {
      const lo = Math.floor(this.#l1Lo / SECTOR) * SECTOR;
      const hi = Math.min(this.#l1.length, Math.ceil(this.#l1Hi / SECTOR) * SECTOR);
      await this.container.write(this.#h.l1TableOffset + lo, this.#l1.subarray(lo, hi));
      this.#l1Lo = 0;
      this.#l1Hi = 0;
    }
  }

  /** Refcount blocks, the refcount table and (when the table moved) the header pointing at it. */
  async #flushRefcounts(refs: Refcounts): Promise<void> {
    await refs.flush();
    if (refs.tableMoved) {
      this.#h.refcountTableOffset = refs.layout.tableOffset;
      this.#h.refcountTableClusters = refs.layout.tableClusters;
      await this.#writeHeader();
      refs.tableMoved = false;
    }
    // Every allocated cluster lies inside the file, so checkers see no offsets past its end.
    await extendTo(this.container, refs.end * this.clusterSize);
  }

  async #writeHeader(): Promise<void> {
    const n = encodeHeaderFields(this.#h, this.#cluster0);
    await this.container.write(0, this.#cluster0.subarray(0, n));
  }
}
