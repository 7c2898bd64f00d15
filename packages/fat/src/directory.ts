/**
 * Directories of an opened volume: reading one (the fixed FAT12/16 root or a cluster chain),
 * decoding its records (long names checked against their checksum), and writing slots back.
 */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import type { Volume } from './boot.js';
import type { FatTable, Run } from './fat-table.js';
import {
  ATTR,
  DELETED,
  DIRENT_SIZE,
  END,
  KANJI_E5,
  LFN_LAST,
  lfnChecksum,
  lfnEntry,
  shortEntry,
} from './format/dirent.js';
import { decodeFatTime } from './format/time.js';
import { displayShortName } from './names.js';
import { MAX_DIR_SLOTS } from './plan.js';

/** One name in a directory: its records span slots [first, first + slots). */
export interface DirItem {
  name: string;
  /** The 11-character short name as stored (a leading 0x05 read back as 0xE5). */
  raw: string;
  attr: number;
  ntCase: number;
  cluster: number;
  size: number;
  mtime: number;
  crtime: number;
  atime: number;
  first: number;
  slots: number;
}

const LFN_PARTS: Array<['name1' | 'name2' | 'name3', number]> = [
  ['name1', 5],
  ['name2', 6],
  ['name3', 2],
];

export interface DirListing {
  items: DirItem[];
  label?: string;
  /** Index of the end marker (the first never-used slot), or the slot count. */
  end: number;
}

/** A directory's bytes and where each of them lives on the device. */
export class DirHandle {
  private constructor(
    readonly path: string,
    /** First cluster, or 0 for the fixed FAT12/16 root. */
    readonly cluster: number,
    public bytes: Uint8Array,
    public runs: Run[],
    readonly vol: Volume,
  ) {}

  static async read(dev: BlockDevice, vol: Volume, fat: FatTable, path: string, cluster: number): Promise<DirHandle> {
    if (cluster === 0 && vol.fatType !== 32) {
      const bytes = new Uint8Array(vol.rootEntries * DIRENT_SIZE);
      await dev.read(vol.rootOffset, bytes);
      return new DirHandle(path, 0, bytes, [], vol);
    }
    const limit = Math.ceil((MAX_DIR_SLOTS * DIRENT_SIZE) / vol.clusterSize);
    const runs = fat.runs(cluster, `directory ${path}`, limit + 1);
    const total = runs.reduce((n, r) => n + r.count, 0);
    if (total > limit) throw new CorruptError(`directory ${path}: longer than ${MAX_DIR_SLOTS} entries`);
    const bytes = new Uint8Array(total * vol.clusterSize);
    let off = 0;
    for (const r of runs) {
      const len = r.count * vol.clusterSize;
      await dev.read(clusterOffset(vol, r.cluster), bytes.subarray(off, off + len));
      off += len;
    }
    return new DirHandle(path, cluster, bytes, runs, vol);
  }

  get slotCount(): number {
    return this.bytes.length / DIRENT_SIZE;
  }

  /** Device offset of slot `i`. */
  slotOffset(i: number): number {
    if (this.cluster === 0 && this.vol.fatType !== 32) return this.vol.rootOffset + i * DIRENT_SIZE;
    let byte = i * DIRENT_SIZE;
    for (const r of this.runs) {
      const len = r.count * this.vol.clusterSize;
      if (byte < len) return clusterOffset(this.vol, r.cluster) + byte;
      byte -= len;
    }
    throw new CorruptError(`directory ${this.path}: slot ${i} is past its end`);
  }

  /** Writes slots [first, first + n) from `this.bytes` to the device. */
  async writeSlots(dev: BlockDevice, first: number, n: number): Promise<void> {
    this.#parsed = undefined; // the caller changed `bytes`
    let i = first;
    while (i < first + n) {
      // Group slots that are contiguous on the device.
      let j = i + 1;
      while (j < first + n && this.slotOffset(j) === this.slotOffset(j - 1) + DIRENT_SIZE) j++;
      await dev.write(this.slotOffset(i), this.bytes.subarray(i * DIRENT_SIZE, j * DIRENT_SIZE));
      i = j;
    }
  }

  #parsed: { zone: number; result: DirListing } | undefined;

  /** Decodes every record (once per handle while `bytes` is unchanged); long names where valid. */
  items(zone: number): DirListing {
    if (this.#parsed?.zone !== zone) this.#parsed = { zone, result: this.#decode(zone) };
    return this.#parsed.result;
  }

  #decode(zone: number): DirListing {
    const items: DirItem[] = [];
    let label: string | undefined;
    // Long-name parts being collected (undefined when none or broken), the order expected next, their checksum.
    let parts: string[] | undefined;
    let expect = 0;
    let sum = -1;
    let start = 0;
    const done = (end: number) => (label === undefined ? { items, end } : { items, label, end });
    for (let i = 0; i < this.slotCount; i++) {
      const at = i * DIRENT_SIZE;
      const first = this.bytes[at] as number;
      if (first === END) return done(i);
      if (first === DELETED) {
        parts = undefined;
        continue;
      }
      const attr = this.bytes[at + 11] as number;
      if ((attr & 0x3f) === ATTR.LONG_NAME) {
        const e = lfnEntry.decode(this.bytes, at);
        const order = e.order & 0x1f;
        if (e.order & LFN_LAST) {
          parts = [];
          expect = order;
          sum = e.checksum;
          start = i;
        }
        if (!parts || order !== expect || order < 1 || e.checksum !== sum) {
          parts = undefined;
          continue;
        }
        let text = '';
        for (const [key, count] of LFN_PARTS) {
          const b = e[key];
          for (let k = 0; k < count; k++)
            text += String.fromCharCode((b[2 * k] as number) | ((b[2 * k + 1] as number) << 8));
        }
        parts[order - 1] = text;
        expect = order - 1;
        continue;
      }
      const s = shortEntry.decode(this.bytes, at);
      const long = parts && expect === 0 && lfnChecksum(s.name) === sum ? longName(parts) : undefined;
      parts = undefined;
      if (s.name[0] === KANJI_E5) s.name[0] = 0xe5;
      const raw = String.fromCharCode(...s.name);
      if (attr & ATTR.VOLUME_ID) {
        if (label === undefined) label = raw.trimEnd();
        continue;
      }
      if (raw === '.          ' || raw === '..         ') continue;
      const firstSlot = long === undefined ? i : start;
      const mtime = decodeFatTime(s.writeDate, s.writeTime, zone);
      items.push({
        name: long ?? displayShortName(raw, s.ntCase),
        raw,
        attr,
        ntCase: s.ntCase,
        cluster: (this.vol.fatType === 32 ? s.clusterHi * 0x10000 : 0) + s.clusterLo,
        size: s.size,
        mtime,
        crtime: s.createDate ? decodeFatTime(s.createDate, s.createTime, zone, s.createTenths) : mtime,
        atime: s.accessDate ? decodeFatTime(s.accessDate, 0, zone) : mtime,
        first: firstSlot,
        slots: i - firstSlot + 1,
      });
    }
    return done(this.slotCount);
  }
}

function longName(parts: string[]): string {
  const joined = parts.join('');
  const nul = joined.indexOf('\0');
  return nul < 0 ? joined : joined.slice(0, nul);
}

export function clusterOffset(vol: Volume, cluster: number): number {
  return vol.dataOffset + (cluster - 2) * vol.clusterSize;
}
