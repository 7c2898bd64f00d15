/**
 * `check()`: recomputes every host cluster's refcount from the metadata (header, L1/L2 tables of
 * the image and its snapshots, refcount table and blocks, compressed data) and compares it with
 * the stored refcounts, as `qemu-img check` does. `repair` rewrites wrong refcounts.
 */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import { Qcow2UnsupportedError } from './errors.js';
import { bitmapDirectoryEntry, bitmapEntryLength, bitmapsExtension, MAX_BITMAP_DIRECTORY } from './format/bitmaps.js';
import {
  Autoclear,
  ExtensionType,
  encodeHeaderFields,
  Incompatible,
  MAX_L1_BYTES,
  type Qcow2Header,
} from './format/header.js';
import { snapshotEntryLength, snapshotHeader } from './format/snapshot.js';
import { entryCopied, entryOffset, readL2, refcountCodec, reftableOffset, setEntryCopied } from './format/tables.js';
import { extendTo, readPadded } from './io.js';
import { DEFAULT_REFCOUNT_CACHE } from './options.js';
import { readHeader } from './probe.js';
import { Refcounts } from './refcounts.js';

export interface CheckOptions {
  /** Fix leaked clusters and wrong refcounts, and clear the dirty flag. */
  repair?: boolean;
}

export type ProblemKind = 'leak' | 'refcount' | 'copied' | 'overlap' | 'out-of-file' | 'unaligned';

export interface CheckProblem {
  kind: ProblemKind;
  message: string;
}

export interface CheckReport {
  /** No corruptions and no leaks (after repair, when repairing). */
  ok: boolean;
  /**
   * Errors that can lose data: refcounts too low, COPIED flags that disagree with refcounts,
   * overlapping metadata, offsets past the end, misalignment.
   */
  corruptions: number;
  /** Clusters whose refcount is higher than their references. */
  leaks: number;
  /** Refcounts rewritten by `repair`. */
  repaired: number;
  /** The first problems found (at most 100; the counts are complete). */
  problems: CheckProblem[];
  /** Host clusters referenced by the image. */
  allocatedClusters: number;
  /** First byte past the last referenced host cluster. */
  imageEnd: number;
}

const MAX_MESSAGES = 100;
const SATURATED = 0xffff;
/** 3 bytes of bookkeeping per host cluster: 64 Mi clusters (4 TiB of 64 KiB clusters) is 192 MiB. */
const MAX_CHECK_CLUSTERS = 2 ** 26;
/** Roles a host cluster can have; two roles on one cluster (except shared data/L2) is an overlap. */
const Role = { none: 0, data: 1, l2: 2, meta: 3 } as const;
type RoleValue = (typeof Role)[keyof typeof Role];

class Tally {
  /** References found, per host cluster (saturating at 65535, far above any real refcount). */
  readonly computed: Uint16Array;
  readonly role: Uint8Array;
  readonly problems: CheckProblem[] = [];
  corruptions = 0;
  leaks = 0;
  /** Corruptions that are only wrong refcounts or COPIED flags (which repair fixes). */
  repairable = 0;
  /** Refcounts as stored in the image. */
  readonly stored: Uint16Array;

  constructor(
    readonly clusters: number,
    readonly cs: number,
  ) {
    if (clusters > MAX_CHECK_CLUSTERS) {
      throw new Qcow2UnsupportedError(`qcow2 check: ${clusters} host clusters is more than ${MAX_CHECK_CLUSTERS}`);
    }
    this.computed = new Uint16Array(clusters);
    this.stored = new Uint16Array(clusters);
    this.role = new Uint8Array(clusters);
  }

  report(kind: ProblemKind, message: string): void {
    if (kind === 'leak') this.leaks++;
    else this.corruptions++;
    if (kind === 'refcount' || kind === 'copied') this.repairable++;
    if (this.problems.length < MAX_MESSAGES) this.problems.push({ kind, message });
  }

  /** Counts `times` references to the clusters under [offset, offset + length). */
  ref(offset: number, length: number, role: RoleValue, what: string, times = 1): boolean {
    const first = Math.floor(offset / this.cs);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / this.cs);
    if (last >= this.clusters) {
      this.report('out-of-file', `${what} at offset ${offset} lies past the end of the file`);
      return false;
    }
    for (let c = first; c <= last; c++) {
      const had = this.role[c] as RoleValue;
      if (had !== Role.none && (had !== role || role === Role.meta)) {
        this.report('overlap', `${what} at offset ${offset} overlaps other data or metadata in host cluster ${c}`);
      }
      this.role[c] = Math.max(had, role);
      this.computed[c] = Math.min(SATURATED, (this.computed[c] as number) + times);
    }
    return true;
  }
}

export async function check(container: BlockDevice, opts: CheckOptions = {}): Promise<CheckReport> {
  const { header: h, cluster0 } = await readHeader(container);
  const first = await tally(container, h);
  if (!opts.repair) return summarize(first, 0);
  const repaired = await repair(container, h, cluster0, first);
  const after = await tally(container, (await readHeader(container)).header);
  return summarize(after, repaired);
}

function summarize(t: Tally, repaired: number): CheckReport {
  let allocated = 0;
  let end = 0;
  for (let c = 0; c < t.clusters; c++) {
    if ((t.computed[c] as number) > 0) {
      allocated++;
      end = c + 1;
    }
  }
  return {
    ok: t.corruptions === 0 && t.leaks === 0,
    corruptions: t.corruptions,
    leaks: t.leaks,
    repaired,
    problems: t.problems,
    allocatedClusters: allocated,
    imageEnd: end * t.cs,
  };
}

async function tally(container: BlockDevice, h: Qcow2Header): Promise<Tally> {
  const cs = 2 ** h.clusterBits;
  const t = new Tally(Math.ceil(container.size / cs), cs);
  t.ref(0, cs, Role.meta, 'header');
  t.ref(h.refcountTableOffset, h.refcountTableClusters * cs, Role.meta, 'refcount table');

  // Every L2 table, with how many L1 entries (active and snapshot) point at it.
  const l2Uses = new Map<number, number>();
  const addL1 = async (offset: number, size: number, what: string) => {
    if (size * 8 > MAX_L1_BYTES) return t.report('out-of-file', `${what} of ${size} entries is too large`);
    if (!t.ref(offset, size * 8, Role.meta, what)) return;
    const l1 = new Uint8Array(size * 8);
    await readPadded(container, offset, l1);
    for (let i = 0; i < size; i++) {
      const off = entryOffset(l1, i);
      if (off === 0) continue;
      if (off % cs !== 0) {
        t.report('unaligned', `${what} entry ${i}: L2 table offset ${off} is not cluster aligned`);
      } else if (t.ref(off, cs, Role.l2, `L2 table (${what} entry ${i})`)) {
        l2Uses.set(off, (l2Uses.get(off) ?? 0) + 1);
      }
    }
  };
  await addL1(h.l1TableOffset, h.l1Size, 'L1 table');
  await addSnapshots(container, h, t, addL1);
  await addBitmaps(container, h, t);

  const table = new Uint8Array(cs);
  for (const [off, uses] of l2Uses) {
    await readPadded(container, off, table);
    for (let i = 0; i < cs / 8; i++) {
      const e = readL2(table, i, h.clusterBits, h.version === 3);
      const where = `L2 table at ${off}, entry ${i}`;
      if (e.kind === 'compressed') t.ref(e.offset, e.compressedSize, Role.data, `compressed cluster (${where})`, uses);
      else if (e.offset === 0) continue;
      else if (e.offset % cs !== 0) t.report('unaligned', `${where}: data offset ${e.offset} is not cluster aligned`);
      else t.ref(e.offset, cs, Role.data, `data cluster (${where})`, uses);
    }
  }

  await compareRefcounts(container, h, t);
  await copiedFlags(container, h, t.stored, t);
  return t;
}

async function addSnapshots(
  container: BlockDevice,
  h: Qcow2Header,
  t: Tally,
  addL1: (offset: number, size: number, what: string) => Promise<void>,
): Promise<void> {
  let at = h.snapshotsOffset;
  const fixed = new Uint8Array(snapshotHeader.size);
  for (let i = 0; i < h.nbSnapshots; i++) {
    if (at + fixed.length > container.size) {
      return t.report('out-of-file', `snapshot table entry ${i} at ${at} lies past the end of the file`);
    }
    await container.read(at, fixed);
    const s = snapshotHeader.decode(fixed, 0);
    await addL1(s.l1TableOffset, s.l1Size, `snapshot ${i} L1 table`);
    at += snapshotEntryLength(s);
  }
  if (h.nbSnapshots > 0) t.ref(h.snapshotsOffset, at - h.snapshotsOffset, Role.meta, 'snapshot table');
}

/** Persistent bitmaps (only while the autoclear bit says they are valid): directory, tables, data. */
async function addBitmaps(container: BlockDevice, h: Qcow2Header, t: Tally): Promise<void> {
  const ext = h.extensions.find((e) => e.type === ExtensionType.bitmaps);
  if (!ext || !h.autoclear.includes(Autoclear.bitmaps) || ext.data.length < bitmapsExtension.size) return;
  const x = bitmapsExtension.decode(ext.data, 0);
  if (x.directorySize > MAX_BITMAP_DIRECTORY) {
    return t.report('out-of-file', `bitmap directory of ${x.directorySize} bytes is too large`);
  }
  if (!t.ref(x.directoryOffset, x.directorySize, Role.meta, 'bitmap directory')) return;
  const dir = new Uint8Array(x.directorySize);
  await readPadded(container, x.directoryOffset, dir);
  let at = 0;
  for (let i = 0; i < x.nbBitmaps && at + bitmapDirectoryEntry.size <= dir.length; i++) {
    const e = bitmapDirectoryEntry.decode(dir, at);
    at += bitmapEntryLength(e);
    if (e.tableSize * 8 > MAX_L1_BYTES) {
      t.report('out-of-file', `bitmap ${i} table of ${e.tableSize} entries is too large`);
      continue;
    }
    if (!t.ref(e.tableOffset, e.tableSize * 8, Role.meta, `bitmap ${i} table`)) continue;
    const table = new Uint8Array(e.tableSize * 8);
    await readPadded(container, e.tableOffset, table);
    for (let k = 0; k < e.tableSize; k++) {
      const off = entryOffset(table, k);
      if (off !== 0) t.ref(off, t.cs, Role.meta, `bitmap ${i} data cluster`);
    }
  }
}

/** Counts refcount blocks as metadata, then compares stored refcounts with the computed ones. */
async function compareRefcounts(container: BlockDevice, h: Qcow2Header, t: Tally): Promise<void> {
  const cs = t.cs;
  const codec = refcountCodec(h.refcountOrder);
  const perBlock = (cs * 8) / codec.bits;
  const reftable = new Uint8Array(h.refcountTableClusters * cs);
  await readPadded(container, h.refcountTableOffset, reftable);
  const blocks: number[] = [];
  for (let i = 0; i < reftable.length / 8; i++) {
    const off = reftableOffset(reftable, i);
    blocks.push(0);
    if (off === 0) continue;
    if (off % cs !== 0) t.report('unaligned', `refcount table entry ${i}: block offset ${off} is not cluster aligned`);
    else if (t.ref(off, cs, Role.meta, `refcount block ${i}`)) blocks[i] = off;
  }
  const block = new Uint8Array(cs);
  for (let i = 0; i * perBlock < t.clusters; i++) {
    const off = blocks[i] ?? 0;
    if (off !== 0) await readPadded(container, off, block);
    const last = Math.min(perBlock, t.clusters - i * perBlock);
    for (let k = 0; k < last; k++) {
      const c = i * perBlock + k;
      const stored = off === 0 ? 0 : codec.get(block, k);
      t.stored[c] = Math.min(SATURATED, stored);
      const want = t.computed[c] as number;
      if (stored >= SATURATED && want >= SATURATED) continue;
      if (stored > want) t.report('leak', `host cluster ${c}: refcount ${stored}, referenced ${want} times (leak)`);
      else if (stored < want) t.report('refcount', `host cluster ${c}: refcount ${stored}, referenced ${want} times`);
    }
  }
}

/** Sets every refcount to its computed value and clears the dirty flag (lazy refcounts stay on, as QEMU leaves them). */
async function repair(container: BlockDevice, h: Qcow2Header, cluster0: Uint8Array, t: Tally): Promise<number> {
  if (container.readOnly) throw new CorruptError('qcow2 check: repair needs the image opened writable');
  const cs = t.cs;
  const layout = {
    clusterBits: h.clusterBits,
    refcountOrder: h.refcountOrder,
    tableOffset: h.refcountTableOffset,
    tableClusters: h.refcountTableClusters,
  };
  const refs = await Refcounts.load(container, layout, t.clusters, DEFAULT_REFCOUNT_CACHE);
  let fixed = 0;
  for (let c = 0; c < t.clusters; c++) {
    const want = t.computed[c] as number;
    if ((await refs.get(c)) !== want) {
      await refs.set(c, Math.min(want, refs.codec.max));
      fixed++;
    }
  }
  await refs.flush();
  fixed += await copiedFlags(container, h, t.computed, undefined);
  h.refcountTableOffset = refs.layout.tableOffset;
  h.refcountTableClusters = refs.layout.tableClusters;
  h.incompatible = h.incompatible.filter(
    (b) => b !== Incompatible.dirty && (b !== Incompatible.corrupt || t.corruptions > t.repairable),
  );
  const n = encodeHeaderFields(h, cluster0);
  await container.write(0, cluster0.subarray(0, n));
  await extendTo(container, refs.end * cs);
  await container.flush();
  return fixed;
}

/**
 * COPIED must be set exactly on the active L1/L2 entries whose cluster has refcount 1, and never on
 * compressed ones. With a tally, mismatches are reported against `counts`; without one they are
 * fixed in place (after repair, `counts` are the true refcounts). Returns the entries fixed.
 */
async function copiedFlags(
  container: BlockDevice,
  h: Qcow2Header,
  counts: Uint16Array,
  t: Tally | undefined,
): Promise<number> {
  const cs = 2 ** h.clusterBits;
  const countOf = (off: number) => (off % cs === 0 && off / cs < counts.length ? (counts[off / cs] as number) : -1);
  if (countOf(h.l1TableOffset) < 0) return 0;
  let fixed = 0;
  let l1Fixed = 0;
  const mismatch = (table: Uint8Array, i: number, want: boolean, what: string) => {
    if (t) t.report('copied', `${what}: COPIED flag ${want ? 'missing' : 'set'} (refcount is ${want ? 1 : 'not 1'})`);
    else setEntryCopied(table, i, want);
    fixed++;
  };
  const l1 = new Uint8Array(h.l1Size * 8);
  await readPadded(container, h.l1TableOffset, l1);
  const seen = new Set<number>();
  const l2 = new Uint8Array(cs);
  for (let i = 0; i < h.l1Size; i++) {
    const off = entryOffset(l1, i);
    const n = countOf(off);
    if (off === 0 || n < 0) continue;
    if (entryCopied(l1, i) !== (n === 1)) {
      mismatch(l1, i, n === 1, `L1 entry ${i}`);
      l1Fixed++;
    }
    if (seen.has(off)) continue;
    seen.add(off);
    await readPadded(container, off, l2);
    const before = fixed;
    for (let j = 0; j < cs / 8; j++) {
      const e = readL2(l2, j, h.clusterBits, h.version === 3);
      const m = e.kind === 'compressed' ? 1 : e.offset === 0 ? -1 : countOf(e.offset);
      if (m < 0) continue;
      const want = e.kind !== 'compressed' && m === 1;
      if (e.copied !== want) mismatch(l2, j, want, `L2 table at ${off}, entry ${j}`);
    }
    if (!t && fixed > before) await container.write(off, l2);
  }
  if (!t && l1Fixed > 0) await container.write(h.l1TableOffset, l1);
  return fixed;
}
