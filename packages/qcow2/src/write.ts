/**
 * The write path. One request is planned cluster by cluster, then carried out in three steps so
 * the data of newly allocated clusters lands contiguously: (1) classify every cluster and create
 * any missing L2 table, (2) allocate all new data clusters in one run at the end of the image,
 * (3) write the data, coalescing host-contiguous pieces into single container writes, and only
 * then update the L2 entries, commit them, and drop references to replaced compressed clusters
 * (after the commit, so no table on disk references a cluster whose count already dropped).
 */
import { type BlockDevice, isZero, zeroChunk } from '@fstool/blockdev';
import type { L2Entry } from './format/tables.js';
import { writeAll } from './io.js';
import type { Refcounts } from './refcounts.js';

/** What the device exposes to the write path. */
export interface WriteContext {
  container: BlockDevice;
  clusterSize: number;
  l2Entries: number;
  v3: boolean;
  hasBacking: boolean;
  compress: boolean;
  refs: Refcounts;
  table(vc: number): Promise<Uint8Array | undefined>;
  entry(table: Uint8Array | undefined, vc: number): L2Entry;
  ensureL2(vc: number): Promise<void>;
  /** Sets standard L2 entries: host `offset` (0 = none) and the v3 zero flag; sorted by `vc`. */
  setEntries(maps: Mapping[]): Promise<void>;
  setCompressed(vc: number, offset: number, size: number): Promise<void>;
  /** Metadata stays in memory until flush: data may land after the entries that point at it. */
  writeBack: boolean;
  /** Waits for data writes of earlier requests still landing (write-back only). */
  settle(): Promise<void>;
  /** Hands over a data write left landing (write-back only). */
  track(landing: Promise<void>): void;
  /** Makes the new mappings durable (refcounts, then L2, then L1) in ordered mode; no-op in write-back. */
  commit(): Promise<void>;
  readBacking(voff: number, into: Uint8Array): Promise<void>;
  inflate(e: L2Entry, vc: number): Promise<Uint8Array>;
  /** Deflates whole clusters (undefined: store that one uncompressed). */
  deflate(clusters: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  placeCompressed(bytes: number): Promise<number>;
}

interface Put {
  host: number;
  data: Uint8Array;
}

export interface Mapping {
  vc: number;
  offset: number;
  zero: boolean;
}

/**
 * Writes `data` (or zeros when undefined) over [offset, offset + length) of the virtual disk.
 * Ordered mode returns once all of it is written. Write-back returns once the clusters are
 * mapped, with the data write still `landed` to wait for: the next request can be planned (and
 * its data sent) meanwhile, so several data writes are in flight, each to clusters of its own.
 * The caller's buffer is in use until `landed` settles.
 */
export async function writeClusters(
  ctx: WriteContext,
  offset: number,
  length: number,
  data: Uint8Array | undefined,
): Promise<{ landed: Promise<void> }> {
  const cs = ctx.clusterSize;
  const span = cs * ctx.l2Entries;
  const puts: Put[] = [];
  const fresh: Array<{ vc: number; data: Uint8Array }> = [];
  const packs: Array<{ vc: number; data: Uint8Array }> = [];
  const maps: Mapping[] = [];
  const frees: L2Entry[] = [];
  /**
   * Whether data goes into clusters mapped before, or frees some (which a later request may then
   * reuse): earlier data still landing there goes first.
   */
  let overwrites = false;

  let pos = 0;
  // The L2 table of the previous cluster, reused while the clusters stay in its range.
  let table: Uint8Array | undefined;
  let tableIndex = -1;
  /** Creates the L2 table of `vc` when it has none: once per table, not once per cluster. */
  const ensureL2 = async (vc: number) => {
    if (table) return;
    await ctx.ensureL2(vc);
    table = await ctx.table(vc);
  };
  while (pos < length) {
    const voff = offset + pos;
    const vc = Math.floor(voff / cs);
    const l1Index = Math.floor(vc / ctx.l2Entries);
    if (l1Index !== tableIndex || !table) {
      table = await ctx.table(vc);
      tableIndex = l1Index;
    }
    if (!data && !table && !ctx.hasBacking) {
      pos += Math.min(span - (voff % span), length - pos); // a whole unmapped L2 range already reads zeros
      continue;
    }
    const inner = voff % cs;
    const n = Math.min(cs - inner, length - pos);
    const piece = data?.subarray(pos, pos + n);
    pos += n;
    const full = n === cs;
    const e = ctx.entry(table, vc);

    if (!piece || isZero(piece)) {
      if (e.kind === 'zero' || (e.kind === 'unallocated' && !ctx.hasBacking)) continue;
      if (e.kind === 'normal') {
        // v3 marks the cluster zero and keeps it allocated for reuse; v2 has no zero flag.
        if (full && ctx.v3) maps.push({ vc, offset: e.offset, zero: true });
        else puts.push({ host: e.offset + inner, data: piece ?? zeroChunk(n) });
        overwrites = true;
        continue;
      }
      if (full) {
        // Unallocated over a backing file, or compressed: must read as zeros from now on.
        if (e.kind === 'compressed') {
          frees.push(e);
          overwrites = true;
        }
        await ensureL2(vc);
        if (ctx.hasBacking && !ctx.v3) fresh.push({ vc, data: new Uint8Array(cs) });
        else maps.push({ vc, offset: 0, zero: ctx.hasBacking });
        continue;
      }
      // A partial zero write over backing or compressed data: read-modify-write below.
    }

    if (e.kind === 'normal') {
      puts.push({ host: e.offset + inner, data: piece ?? zeroChunk(n) });
      overwrites = true;
      continue;
    }
    if (e.kind === 'zero' && e.offset !== 0) {
      // A preallocated zero cluster: fill it in place and clear the flag.
      puts.push({ host: e.offset, data: full && piece ? piece : overlay(new Uint8Array(cs), inner, n, piece) });
      maps.push({ vc, offset: e.offset, zero: false });
      overwrites = true;
      continue;
    }
    let cluster: Uint8Array;
    if (full && piece) {
      cluster = piece;
    } else {
      cluster = new Uint8Array(cs);
      if (e.kind === 'compressed') {
        await ctx.settle();
        cluster.set(await ctx.inflate(e, vc));
      } else if (e.kind === 'unallocated' && ctx.hasBacking) await ctx.readBacking(vc * cs, cluster);
      overlay(cluster, inner, n, piece);
    }
    if (e.kind === 'compressed') {
      frees.push(e);
      overwrites = true;
    }
    await ensureL2(vc);
    if (ctx.compress && full) packs.push({ vc, data: cluster });
    else fresh.push({ vc, data: cluster });
  }

  if (fresh.length > 0) {
    const first = await ctx.refs.allocate(fresh.length);
    fresh.forEach((f, k) => {
      puts.push({ host: first + k * cs, data: f.data });
      maps.push({ vc: f.vc, offset: first + k * cs, zero: false });
    });
  }
  const packed: Array<{ vc: number; at: number; size: number }> = [];
  const deflated = packs.length > 0 ? await ctx.deflate(packs.map((p) => p.data)) : [];
  for (const [k, p] of packs.entries()) {
    const bytes = deflated[k];
    if (bytes) {
      const at = await ctx.placeCompressed(bytes.length);
      puts.push({ host: at, data: bytes });
      packed.push({ vc: p.vc, at, size: bytes.length });
    } else {
      const host = await ctx.refs.allocate(1);
      puts.push({ host, data: p.data });
      maps.push({ vc: p.vc, offset: host, zero: false });
    }
  }

  if (overwrites) await ctx.settle();
  const landed = writeCoalesced(ctx.container, puts);
  // Ordered mode: the data is in place before any entry points at it.
  if (ctx.writeBack) ctx.track(landed);
  else await landed;
  await ctx.setEntries(maps.sort((a, b) => a.vc - b.vc));
  for (const p of packed) await ctx.setCompressed(p.vc, p.at, p.size);
  await ctx.commit();
  for (const e of frees) await releaseCompressed(ctx.refs, e, cs);
  return { landed };
}

/** Copies `piece` (or zeros) into `cluster` at `inner`. */
function overlay(cluster: Uint8Array, inner: number, n: number, piece: Uint8Array | undefined): Uint8Array {
  if (piece) cluster.set(piece, inner);
  else cluster.fill(0, inner, inner + n);
  return cluster;
}

/** Drops one reference from every host cluster a compressed cluster's data touches. */
async function releaseCompressed(refs: Refcounts, e: L2Entry, cs: number): Promise<void> {
  const last = Math.floor((e.offset + e.compressedSize - 1) / cs);
  for (let c = Math.floor(e.offset / cs); c <= last; c++) await refs.adjust(c, -1);
}

/** Writes the pieces in host order, one container request per host-contiguous run. */
async function writeCoalesced(dev: BlockDevice, puts: Put[]): Promise<void> {
  puts.sort((a, b) => a.host - b.host);
  let i = 0;
  while (i < puts.length) {
    const head = puts[i] as Put;
    const bufs: Uint8Array[] = [head.data];
    let end = head.host + head.data.length;
    let j = i + 1;
    for (; j < puts.length; j++) {
      const next = puts[j] as Put;
      if (next.host !== end) break;
      const prev = bufs[bufs.length - 1] as Uint8Array;
      // Consecutive slices of one caller buffer merge back into a single view.
      if (next.data.buffer === prev.buffer && next.data.byteOffset === prev.byteOffset + prev.length) {
        bufs[bufs.length - 1] = new Uint8Array(prev.buffer, prev.byteOffset, prev.length + next.data.length);
      } else {
        bufs.push(next.data);
      }
      end += next.data.length;
    }
    await writeAll(dev, head.host, bufs);
    i = j;
  }
}
