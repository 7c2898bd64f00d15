/**
 * The file allocation table of an opened volume, held in memory (its size is bounded by the
 * image: at most 4 bytes per cluster). Chains are followed with bounds and loop checks; changes
 * are written back to every FAT copy, dirty range only.
 */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import { NoSpaceError } from '@fstool/fs';
import type { Volume } from './boot.js';
import { BAD, EOC, EOC_MIN, fatBytes, getEntry, setEntry } from './fat-entries.js';

/** A run of consecutive clusters of one chain. */
export interface Run {
  cluster: number;
  count: number;
}

export class FatTable {
  readonly #buf: Uint8Array;
  #dirtyLo = Number.POSITIVE_INFINITY;
  #dirtyHi = -1;
  /** Free clusters, counted at load and kept up to date. */
  free = 0;
  /** Where the next allocation starts looking (FSInfo's next-free hint). */
  nextFree = 2;
  /** Per-cluster stamp of the last walk that visited it: finds loops in O(1) per step. */
  #seen: Uint32Array | undefined;
  #walk = 0;

  private constructor(
    readonly vol: Volume,
    buf: Uint8Array,
  ) {
    this.#buf = buf;
    for (let c = 2; c < vol.clusters + 2; c++) if (this.get(c) === 0) this.free++;
  }

  /** Reads the active FAT (the first, unless FAT32 mirroring is off). */
  static async load(dev: BlockDevice, vol: Volume): Promise<FatTable> {
    const buf = new Uint8Array(fatBytes(vol.fatType, vol.clusters + 2) + 1);
    const which = vol.activeFat ?? 0;
    if (which >= vol.numFats) throw new CorruptError(`FAT32 active FAT ${which} does not exist (${vol.numFats} FATs)`);
    await dev.read(vol.fatOffset + which * vol.fatSectors * vol.sectorSize, buf.subarray(0, buf.length - 1));
    return new FatTable(vol, buf);
  }

  get(c: number): number {
    return getEntry(this.#buf, this.vol.fatType, c);
  }

  #set(c: number, v: number): void {
    const before = this.get(c);
    if (before === 0 && v !== 0) this.free--;
    else if (before !== 0 && v === 0) this.free++;
    setEntry(this.#buf, this.vol.fatType, c, v);
    this.#dirtyLo = Math.min(this.#dirtyLo, c);
    this.#dirtyHi = Math.max(this.#dirtyHi, c);
  }

  isEnd(v: number): boolean {
    return v >= EOC_MIN[this.vol.fatType];
  }

  /**
   * The clusters of the chain starting at `first`, as runs. Stops after `limit` clusters when
   * given (a file needs no more than its size); a loop, a free or bad cluster, or a number out of
   * range is reported as corruption naming `what`.
   */
  runs(first: number, what: string, limit = Number.POSITIVE_INFINITY): Run[] {
    const runs: Run[] = [];
    if (first === 0) return runs;
    const max = this.vol.clusters + 1;
    this.#seen ??= new Uint32Array(max + 1);
    const seen = this.#seen;
    this.#walk = (this.#walk + 1) >>> 0;
    if (this.#walk === 0) {
      seen.fill(0); // the stamp wrapped around
      this.#walk = 1;
    }
    const walk = this.#walk;
    let c = first;
    let steps = 0;
    for (;;) {
      if (c < 2 || c > max) throw new CorruptError(`${what}: cluster ${c} is outside clusters 2–${max}`);
      if (seen[c] === walk) throw new CorruptError(`${what}: cluster chain loops back to cluster ${c}`);
      seen[c] = walk;
      steps++;
      const last = runs[runs.length - 1];
      if (last && last.cluster + last.count === c) last.count++;
      else runs.push({ cluster: c, count: 1 });
      if (steps >= limit) return runs;
      const next = this.get(c);
      if (this.isEnd(next)) return runs;
      if (next === 0) throw new CorruptError(`${what}: chain runs into free cluster ${c}`);
      if (next === BAD[this.vol.fatType]) throw new CorruptError(`${what}: chain runs into bad cluster ${c}`);
      c = next;
    }
  }

  /** Allocates `n` clusters as one chain (first fit from the hint, contiguous where possible); returns the first. */
  allocate(n: number, what: string): number {
    if (n === 0) return 0;
    if (n > this.free) {
      throw new NoSpaceError(`${what}: needs ${n} clusters of ${this.vol.clusterSize} bytes, ${this.free} are free`);
    }
    const max = this.vol.clusters + 1;
    const picked: number[] = [];
    let c = this.nextFree >= 2 && this.nextFree <= max ? this.nextFree : 2;
    for (let scanned = 0; picked.length < n && scanned < this.vol.clusters; scanned++) {
      if (this.get(c) === 0) picked.push(c);
      c = c === max ? 2 : c + 1;
    }
    if (picked.length < n) throw new NoSpaceError(`${what}: the FAT has fewer free clusters than counted`);
    for (let i = 0; i < n; i++)
      this.#set(picked[i] as number, i + 1 < n ? (picked[i + 1] as number) : EOC[this.vol.fatType]);
    this.nextFree = c;
    return picked[0] as number;
  }

  /** Links `next` after the last cluster `last` of a chain (growing a directory). */
  link(last: number, next: number): void {
    this.#set(last, next);
  }

  /** Makes `c` the last cluster of its chain (undoing a `link`). */
  cut(c: number): void {
    this.#set(c, EOC[this.vol.fatType]);
  }

  /** Frees every cluster of the chain starting at `first`. */
  freeChain(first: number, what: string): void {
    for (const run of this.runs(first, what)) for (let i = 0; i < run.count; i++) this.#set(run.cluster + i, 0);
  }

  /** Writes the changed part of the table to every FAT copy. */
  async flush(dev: BlockDevice): Promise<void> {
    if (this.#dirtyHi < 0) return;
    const ss = this.vol.sectorSize;
    const type = this.vol.fatType;
    const fatLen = this.vol.fatSectors * ss;
    // Whole sectors around the dirty entries (a FAT12 entry may straddle two).
    const from = Math.floor(Math.max(0, fatBytes(type, this.#dirtyLo) - 1) / ss) * ss;
    const to = Math.min(Math.ceil(fatBytes(type, this.#dirtyHi + 1) / ss) * ss, this.#buf.length - 1);
    const bytes = this.#buf.subarray(from, to);
    for (let k = 0; k < this.vol.numFats; k++) await dev.write(this.vol.fatOffset + k * fatLen + from, bytes);
    this.#dirtyLo = Number.POSITIVE_INFINITY;
    this.#dirtyHi = -1;
  }
}
