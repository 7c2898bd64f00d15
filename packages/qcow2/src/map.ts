/**
 * Where a qcow2 image holds data, from its L1/L2 tables: what a conversion reads instead of the
 * whole virtual disk. Unallocated clusters of an image with a backing file show the backing
 * image's data ranges; zero clusters and empty L1 entries hold none.
 */
import type { BlockDevice, DataRange } from '@fstool/blockdev';
import { type L2Entry, nextNonZeroEntry } from './format/tables.js';

/** What the map walk needs from the device (its tables stay private to it). */
export interface MapSource {
  readonly clusterSize: number;
  readonly l2Entries: number;
  readonly size: number;
  readonly backing: BlockDevice | undefined;
  /** The L2 table covering virtual cluster `vc`, undefined when its L1 entry is empty. */
  table(vc: number): Promise<Uint8Array | undefined>;
  entry(table: Uint8Array, vc: number): L2Entry;
  /** Reads the L2 tables for virtual clusters [from, to) ahead, all at once. */
  prefetch(from: number, to: number): Promise<void>;
}

/** Sorted, merged ranges of [offset, offset + length) that may hold data. */
export async function dataRanges(m: MapSource, offset: number, length: number): Promise<DataRange[]> {
  const end = Math.min(m.size, offset + length);
  const out: DataRange[] = [];
  const push = (a: number, b: number) => {
    const from = Math.max(a, offset);
    const to = Math.min(b, end);
    if (from >= to) return;
    const last = out[out.length - 1];
    if (last && last[1] >= from) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  };
  // Unallocated clusters read through to the backing image: one query per run of them.
  let through = -1;
  const endThrough = async (at: number) => {
    const b = m.backing;
    if (through < 0) return;
    const from = through;
    through = -1;
    if (!b) return;
    const to = Math.min(at, b.size);
    if (from >= to) return;
    if (b.dataRanges) for (const [x, y] of await b.dataRanges(from, to - from)) push(x, y);
    else push(from, to);
  };
  const cs = m.clusterSize;
  let vc = Math.floor(offset / cs);
  const stop = Math.ceil(end / cs);
  await m.prefetch(vc, stop);
  while (vc < stop) {
    const table = await m.table(vc);
    const tableEnd = Math.min(stop, (Math.floor(vc / m.l2Entries) + 1) * m.l2Entries);
    if (!table) {
      if (through < 0) through = vc * cs;
      vc = tableEnd;
      continue;
    }
    for (; vc < tableEnd; vc++) {
      // Runs of unallocated (all-zero) entries are skipped without decoding.
      const i = vc % m.l2Entries;
      const skip = nextNonZeroEntry(table, i, i + (tableEnd - vc)) - i;
      if (skip > 0) {
        if (through < 0) through = vc * cs;
        vc += skip - 1;
        continue;
      }
      const kind = m.entry(table, vc).kind;
      if (kind === 'unallocated') {
        if (through < 0) through = vc * cs;
        continue;
      }
      if (through >= 0) await endThrough(vc * cs);
      if (kind !== 'zero') push(vc * cs, (vc + 1) * cs);
    }
  }
  await endThrough(stop * cs);
  return out;
}
