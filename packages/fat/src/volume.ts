/**
 * An opened FAT volume as a `FileSystem`: lookups, listing and streamed reads, and in-place
 * edits. Edits are ordered so that an interruption leaves at worst lost clusters: new clusters
 * are allocated, filled and recorded in every FAT before a directory points at them; a
 * directory stops pointing at clusters before they are freed.
 */
import { type BlockDevice, CorruptError, FsError, ReadOnlyError } from '@fstool/blockdev';
import {
  basename,
  compareNames,
  dirname,
  type Entry,
  ExistsError,
  type FileSystem,
  type FsInfo,
  IsDirectoryError,
  NoSpaceError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  normalizePath,
  splitPath,
  UnsupportedError,
} from '@fstool/fs';
import { decodeBootSector, encodeFsInfo, type Volume } from './boot.js';
import { clusterOffset, DirHandle, type DirItem } from './directory.js';
import { FatTable } from './fat-table.js';
import { readContent, streamContent, writeContent } from './file-io.js';
import { FSINFO_LEAD, FSINFO_STRUCT, FSINFO_UNKNOWN, fsInfo } from './format/boot-sector.js';
import { ATTR, DELETED, DIRENT_SIZE } from './format/dirent.js';
import { upperName } from './name-case.js';
import { checkFatName, displayShortName, type ShortName, ShortNameTable, shortNameBytes } from './names.js';
import { zoneOffset } from './options.js';
import { MAX_DIR_SLOTS, MAX_FILE_SIZE } from './plan.js';
import { encodeRecord, encodeShort, type RecordInfo, recordInfo, recordSlots } from './records.js';

/** Where a new record goes: its short name, its slots, and the clusters its directory must grow by first. */
interface RecordPlace {
  short: ShortName;
  slots: number;
  grow: number;
}

/** `ino` of empty files (no cluster): from here up, numbered by the position of their short entry. */
const EMPTY_FILE_INO = 2 ** 32;

const DOT = '.          ';
const DOTDOT = '..         ';

/** How to open a volume: FAT stores local times without a zone, so the zone to read them in can be chosen. */
export interface FatOpenOptions {
  writable: boolean;
  /** 'utc' (default) or minutes east of UTC, for reading and writing timestamps. */
  timeZone?: 'utc' | number;
}

export async function openFat(dev: BlockDevice, opts: FatOpenOptions): Promise<FileSystem> {
  if (opts.writable && dev.readOnly) throw new ReadOnlyError('device');
  if (dev.size < 512) throw new CorruptError(`device of ${dev.size} bytes is too small for a FAT boot sector`);
  const sector = new Uint8Array(512);
  await dev.read(0, sector);
  const vol = decodeBootSector(sector, dev.size);
  const fat = await FatTable.load(dev, vol);
  const warnings: string[] = [];
  const hasFsInfo = await checkFsInfo(dev, vol, fat, warnings);
  return new FatFileSystem(dev, vol, fat, opts.writable, warnings, zoneOffset(opts.timeZone), hasFsInfo);
}

/** FAT32: whether a valid FSInfo sector exists (only then is it updated), taking its next-free hint. */
async function checkFsInfo(dev: BlockDevice, vol: Volume, fat: FatTable, warnings: string[]): Promise<boolean> {
  if (vol.fatType !== 32) return false;
  if (vol.fsInfoSector < 1 || vol.fsInfoSector >= vol.reservedSectors) {
    if (vol.fsInfoSector !== 0 && vol.fsInfoSector !== 0xffff) {
      warnings.push(`FSInfo sector ${vol.fsInfoSector} is outside the reserved sectors; it is ignored`);
    }
    return false;
  }
  const info = new Uint8Array(512);
  await dev.read(vol.fsInfoSector * vol.sectorSize, info);
  const f = fsInfo.decode(info);
  if (f.leadSignature !== FSINFO_LEAD || f.structSignature !== FSINFO_STRUCT) {
    warnings.push(`FSInfo sector ${vol.fsInfoSector} has no valid signature; it is ignored`);
    return false;
  }
  if (f.freeCount !== FSINFO_UNKNOWN && f.freeCount !== fat.free) {
    warnings.push(`FSInfo says ${f.freeCount} free clusters, the FAT has ${fat.free}`);
  }
  if (f.nextFree >= 2 && f.nextFree <= vol.clusters + 1) fat.nextFree = f.nextFree;
  return true;
}

/** Directories kept parsed between calls. */
const DIR_CACHE = 64;

class FatFileSystem implements FileSystem {
  readonly type: string;
  #closed = false;
  readonly #dirs = new Map<number, DirHandle>();

  constructor(
    readonly dev: BlockDevice,
    readonly vol: Volume,
    readonly fat: FatTable,
    readonly writable: boolean,
    readonly warnings: string[],
    readonly zone: number,
    readonly hasFsInfo: boolean,
  ) {
    this.type = `fat${vol.fatType}`;
  }

  async info(): Promise<FsInfo> {
    const v = this.vol;
    const root = await this.#rootDir();
    const label = root.items(this.zone).label ?? v.label;
    const id = v.volumeId.toString(16).toUpperCase().padStart(8, '0');
    const info: FsInfo = {
      type: this.type,
      size: v.totalSectors * v.sectorSize,
      uuid: `${id.slice(0, 4)}-${id.slice(4)}`,
      blockSize: v.clusterSize,
      blocks: v.clusters,
      freeBlocks: this.fat.free,
      fatType: v.fatType,
      volumeId: v.volumeId,
      clusterSize: v.clusterSize,
      clusters: v.clusters,
      freeClusters: this.fat.free,
      sectorSize: v.sectorSize,
      reservedSectors: v.reservedSectors,
      fats: v.numFats,
      fatSectors: v.fatSectors,
      oemName: v.oemName,
      media: v.media,
    };
    if (v.fatType !== 32) info.rootEntries = v.rootEntries;
    if (label && label !== 'NO NAME') info.label = label;
    return info;
  }

  async stat(path: string): Promise<Entry> {
    const p = normalizePath(path);
    if (p === '/') return this.#rootEntry();
    const { parent, item } = await this.#resolve(p);
    return this.#entry(p, item, parent);
  }

  async list(path: string): Promise<Entry[]> {
    const p = normalizePath(path);
    const dir = await this.#dir(p);
    const { items } = dir.items(this.zone);
    return [...items]
      .sort((a, b) => compareNames(a.name, b.name))
      .map((item) => this.#entry(p === '/' ? `/${item.name}` : `${p}/${item.name}`, item, dir));
  }

  async *read(path: string): AsyncIterable<Uint8Array> {
    const p = normalizePath(path);
    if (p === '/') throw new IsDirectoryError(p);
    const { item } = await this.#resolve(p);
    if (item.attr & ATTR.DIRECTORY) throw new IsDirectoryError(p);
    yield* streamContent(this.dev, this.vol, this.fat, item, p);
  }

  add(path: string, entry: Entry): Promise<void> {
    return this.#edit(() => this.#add(path, entry));
  }

  remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.#edit(() => this.#remove(path, opts.recursive ?? false));
  }

  async #add(path: string, entry: Entry): Promise<void> {
    const p = normalizePath(path);
    if (p === '/') throw new ExistsError(p);
    if (entry.kind !== 'file' && entry.kind !== 'dir')
      throw new UnsupportedError(`${p}: FAT cannot hold a ${entry.kind}`);
    const name = basename(p);
    checkFatName(name, p);
    if (entry.kind === 'file' && entry.size > MAX_FILE_SIZE) {
      throw new UnsupportedError(`${p}: ${entry.size} bytes is over FAT's file size limit of ${MAX_FILE_SIZE}`);
    }
    const parent = await this.#dir(dirname(p));
    const existing = find(parent.items(this.zone).items, name);
    if (existing && existing.attr & ATTR.DIRECTORY) {
      throw entry.kind === 'dir' ? new ExistsError(p) : new IsDirectoryError(p);
    }
    // Everything the add needs is checked before anything is written, so a refused add takes nothing.
    const size = entry.kind === 'file' ? entry.size : 0;
    const place = existing ? undefined : this.#placeRecord(parent, name, p);
    const need = (entry.kind === 'dir' ? 1 : Math.ceil(size / this.vol.clusterSize)) + (place?.grow ?? 0);
    if (need > this.fat.free) {
      throw new NoSpaceError(
        `${p}: needs ${need} clusters of ${this.vol.clusterSize} bytes, ${this.fat.free} are free`,
      );
    }
    // 1. New clusters: allocate, fill, record in the FATs.
    const cluster = await this.#allocateContent(p, entry, parent);
    // 2. Point the directory at them (in place of the old record when replacing).
    const info: RecordInfo = { ...recordInfo(entry, name, false), cluster, size };
    try {
      if (place) await this.#link(parent, name, place, info);
      else if (existing) await this.#repoint(parent, existing, info);
    } catch (err) {
      if (cluster) this.fat.freeChain(cluster, p);
      await this.fat.flush(this.dev);
      throw err;
    }
    // 3. Free what the old record pointed at.
    if (existing?.cluster) {
      this.fat.freeChain(existing.cluster, p);
      await this.fat.flush(this.dev);
    }
  }

  async #remove(path: string, recursive: boolean): Promise<void> {
    const p = normalizePath(path);
    if (p === '/') throw new UnsupportedError('the root directory cannot be removed');
    const { parent, item, above } = await this.#resolve(p);
    const chains: Array<[number, string]> = [];
    if (item.attr & ATTR.DIRECTORY) {
      const sub = await this.#openDir(p, item, above);
      if (sub.items(this.zone).items.length && !recursive) throw new NotEmptyError(p);
      await this.#collect(sub, chains, new Map([...above, [item.cluster, p]]));
    }
    if (item.cluster) chains.push([item.cluster, p]);
    // Unlink first, then free: an interruption leaves lost clusters, never a cross-link.
    for (let s = item.first; s < item.first + item.slots; s++) parent.bytes[s * DIRENT_SIZE] = DELETED;
    await parent.writeSlots(this.dev, item.first, item.slots);
    for (const [c, what] of chains) this.fat.freeChain(c, what);
    await this.fat.flush(this.dev);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.writable) return;
    await this.fat.flush(this.dev);
    if (this.hasFsInfo) {
      const at = this.vol.fsInfoSector * this.vol.sectorSize;
      const sector = new Uint8Array(512);
      await this.dev.read(at, sector);
      encodeFsInfo(sector, this.fat.free, this.fat.nextFree);
      await this.dev.write(at, sector);
    }
    await this.dev.flush();
  }

  #checkWritable(): void {
    if (this.#closed) throw new FsError('CLOSED', 'the filesystem is closed');
    if (!this.writable) throw new ReadOnlyError('filesystem (opened read-only)');
  }

  #rootDir(): Promise<DirHandle> {
    return this.#readDir('/', this.vol.fatType === 32 ? this.vol.rootCluster : 0);
  }

  /** The directory `item` names; one whose cluster is that of a directory `above` it is a loop. */
  #openDir(path: string, item: DirItem, above: Map<number, string>): Promise<DirHandle> {
    const ancestor = above.get(item.cluster);
    if (ancestor !== undefined) {
      throw new CorruptError(`directory ${path} is a loop: it points back at ${ancestor} (cluster ${item.cluster})`);
    }
    if (item.cluster === 0) throw new CorruptError(`directory ${path} has no first cluster`);
    return this.#readDir(path, item.cluster);
  }

  /** Directories recently read, by first cluster (a few dozen; dropped after every edit). */
  async #readDir(path: string, cluster: number): Promise<DirHandle> {
    const hit = this.#dirs.get(cluster);
    if (hit) {
      this.#dirs.delete(cluster);
      this.#dirs.set(cluster, hit);
      return hit;
    }
    const dir = await DirHandle.read(this.dev, this.vol, this.fat, path, cluster);
    this.#dirs.set(cluster, dir);
    if (this.#dirs.size > DIR_CACHE) this.#dirs.delete(this.#dirs.keys().next().value as number);
    return dir;
  }

  /** Runs an edit; cached directories are dropped after it, whether it succeeded or not. */
  async #edit<T>(fn: () => Promise<T>): Promise<T> {
    this.#checkWritable();
    try {
      return await fn();
    } finally {
      this.#dirs.clear();
    }
  }

  /** The directory at `path` (the root included). */
  async #dir(path: string): Promise<DirHandle> {
    if (path === '/') return this.#rootDir();
    const { item, above } = await this.#resolve(path);
    if (!(item.attr & ATTR.DIRECTORY)) throw new NotDirectoryError(path);
    return this.#openDir(path, item, above);
  }

  /**
   * Walks to a non-root path: the directory holding it, its record, and the first clusters of the
   * directories on the way (root included), which a directory below them must not point back at.
   */
  async #resolve(path: string): Promise<{ parent: DirHandle; item: DirItem; above: Map<number, string> }> {
    const parts = splitPath(path);
    let dir = await this.#rootDir();
    const above = new Map([[dir.cluster, '/']]);
    let at = '';
    for (let i = 0; ; i++) {
      const name = parts[i] as string;
      at += `/${name}`;
      const item = find(dir.items(this.zone).items, name);
      if (!item) throw new NotFoundError(at);
      if (i === parts.length - 1) return { parent: dir, item, above };
      if (!(item.attr & ATTR.DIRECTORY)) throw new NotDirectoryError(at);
      dir = await this.#openDir(at, item, above);
      above.set(dir.cluster, at);
    }
  }

  #rootEntry(): Entry {
    const ino = this.vol.fatType === 32 ? this.vol.rootCluster : 0;
    return { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, ino };
  }

  /**
   * The entry for `item`, a record of `parent`. Its `ino` is the first cluster (for a directory,
   * even 0: on FAT12/16 that is the root); an empty file has none, so it is numbered from the
   * position of its short entry, above every cluster number.
   */
  #entry(path: string, item: DirItem, parent: DirHandle): Entry {
    const dir = (item.attr & ATTR.DIRECTORY) !== 0;
    const ino =
      dir || item.cluster
        ? item.cluster
        : EMPTY_FILE_INO + parent.slotOffset(item.first + item.slots - 1) / DIRENT_SIZE;
    const ro = (item.attr & ATTR.READ_ONLY) !== 0;
    const e: Entry = {
      path,
      kind: dir ? 'dir' : 'file',
      mode: dir ? 0o755 : ro ? 0o444 : 0o644,
      uid: 0,
      gid: 0,
      mtime: item.mtime,
      atime: item.atime,
      crtime: item.crtime,
      size: dir ? 0 : item.size,
      ino,
    };
    if (!dir) e.open = () => readContent(this.dev, this.vol, this.fat, item, path);
    return e;
  }

  /** Clusters for a new file (filled from its source) or directory (with '.' and '..'), in the FATs. */
  async #allocateContent(path: string, entry: Entry, parent: DirHandle): Promise<number> {
    const cs = this.vol.clusterSize;
    const cluster = this.fat.allocate(entry.kind === 'dir' ? 1 : Math.ceil(entry.size / cs), path);
    if (!cluster) return 0;
    try {
      if (entry.kind === 'dir') {
        const bytes = new Uint8Array(cs);
        const self: RecordInfo = { ...recordInfo(entry, '', false), cluster, size: 0 };
        encodeShort(bytes, 0, dotName(DOT), 0, self, this.zone);
        // '..' of a directory in the root points at cluster 0, also on FAT32.
        const up = parent.path === '/' ? 0 : parent.cluster;
        encodeShort(bytes, DIRENT_SIZE, dotName(DOTDOT), 0, { ...self, cluster: up }, this.zone);
        await this.dev.write(clusterOffset(this.vol, cluster), bytes);
      } else {
        await writeContent(this.dev, this.vol, this.fat.runs(cluster, path), entry, path);
      }
      await this.fat.flush(this.dev);
    } catch (err) {
      // The next flush writes the chain back as free, whatever part of it reached the device.
      this.fat.freeChain(cluster, path);
      throw err;
    }
    return cluster;
  }

  /** Points an existing record at new contents; its long and short names stay as they are. */
  async #repoint(dir: DirHandle, item: DirItem, info: RecordInfo): Promise<void> {
    const last = item.first + item.slots - 1;
    encodeShort(dir.bytes, last * DIRENT_SIZE, shortNameBytes(item.raw), item.ntCase, info, this.zone);
    await dir.writeSlots(this.dev, last, 1);
  }

  /** The short name and slots of a new record for `name` in `dir`, and the clusters `dir` must grow by to hold it. */
  #placeRecord(dir: DirHandle, name: string, path: string): RecordPlace {
    const { items, label, end } = dir.items(this.zone);
    const names = new ShortNameTable();
    for (const x of items) names.reserve(x.raw);
    if (label !== undefined) names.reserve(label.padEnd(11, ' '));
    const short = names.assign(name);
    const slots = recordSlots(name, short);
    if (freeRun(dir, slots, end, true) >= 0) return { short, slots, grow: 0 };
    if (dir.cluster === 0)
      throw new NoSpaceError(`${path}: the root directory is full (${this.vol.rootEntries} entries)`);
    const slotsPerCluster = this.vol.clusterSize / DIRENT_SIZE;
    const grow = Math.ceil(slots / slotsPerCluster);
    if (dir.slotCount + grow * slotsPerCluster > MAX_DIR_SLOTS) {
      throw new NoSpaceError(`${path}: directory ${dir.path} cannot hold more than ${MAX_DIR_SLOTS} entries`);
    }
    return { short, slots, grow };
  }

  /**
   * Adds a record for a new name to `parent` where `#placeRecord` found room, growing the
   * directory first if it must. On failure the growth is undone (the caller flushes the FATs).
   */
  async #link(parent: DirHandle, name: string, place: RecordPlace, info: RecordInfo): Promise<void> {
    const { short, slots: k, grow } = place;
    const { end } = parent.items(this.zone);
    const tail = parent.runs[parent.runs.length - 1];
    const last = tail ? tail.cluster + tail.count - 1 : 0;
    let added = 0;
    try {
      let dir = parent;
      if (grow) {
        added = await this.#grow(parent, last, grow);
        this.#dirs.delete(parent.cluster);
        dir = await this.#readDir(parent.path, parent.cluster);
      }
      // A record is written with one write where possible, so that an interruption cannot leave
      // half of it (an orphaned long name): look for room that is contiguous on the device first.
      let slot = freeRun(dir, k, end, true);
      if (slot < 0) slot = freeRun(dir, k, end, false);
      // Writing past the old end marker: first put an end marker right after where the record goes.
      const after = slot + k;
      if (after >= end && after < dir.slotCount && dir.bytes[after * DIRENT_SIZE] !== 0) {
        dir.bytes.fill(0, after * DIRENT_SIZE, (after + 1) * DIRENT_SIZE);
        await dir.writeSlots(this.dev, after, 1);
      }
      encodeRecord(dir.bytes, slot * DIRENT_SIZE, name, short, info, this.zone);
      await dir.writeSlots(this.dev, slot, k);
      // Room found beyond the end marker (the slots before it were not contiguous): turn the skipped
      // slots into deleted entries, which makes the record visible only now that it is complete.
      if (slot > end) {
        for (let i = end; i < slot; i++) dir.bytes[i * DIRENT_SIZE] = DELETED;
        await dir.writeSlots(this.dev, end, slot - end);
      }
    } catch (err) {
      if (added) this.#shrink(parent, last, added);
      throw err;
    }
  }

  /** Appends `more` zeroed clusters to a directory whose last cluster is `last`; returns the first. */
  async #grow(dir: DirHandle, last: number, more: number): Promise<number> {
    if (!last) throw new CorruptError(`directory ${dir.path} has no clusters`);
    const first = this.fat.allocate(more, `directory ${dir.path}`);
    try {
      const zero = new Uint8Array(this.vol.clusterSize);
      for (const run of this.fat.runs(first, dir.path)) {
        for (let i = 0; i < run.count; i++) await this.dev.write(clusterOffset(this.vol, run.cluster + i), zero);
      }
      this.fat.link(last, first);
      await this.fat.flush(this.dev);
    } catch (err) {
      this.#shrink(dir, last, first);
      throw err;
    }
    return first;
  }

  /** Undoes `#grow` in the FAT: `last` ends the directory again, the clusters from `first` are free. */
  #shrink(dir: DirHandle, last: number, first: number): void {
    this.fat.cut(last);
    this.fat.freeChain(first, `directory ${dir.path}`);
  }

  /**
   * Every chain below a directory being removed. A subdirectory whose cluster was seen already
   * (a loop back to an ancestor, or a cross-link) is walked and freed once only.
   */
  async #collect(dir: DirHandle, out: Array<[number, string]>, seen: Map<number, string>): Promise<void> {
    for (const item of dir.items(this.zone).items) {
      const path = `${dir.path}/${item.name}`;
      if (!item.cluster) continue;
      if (item.attr & ATTR.DIRECTORY) {
        if (seen.has(item.cluster)) continue;
        const sub = await this.#openDir(path, item, seen);
        seen.set(item.cluster, path);
        await this.#collect(sub, out, seen);
      }
      out.push([item.cluster, path]);
    }
  }
}

/** The record named `name`: by long name, else by short name, both compared case-insensitively (`upperName`). */
function find(items: DirItem[], name: string): DirItem | undefined {
  const key = upperName(name);
  // Upper-casing keeps the length, which rules out most names cheaply.
  const long = items.find((x) => x.name.length === key.length && upperName(x.name) === key);
  // A short name shows as at most 8 + 1 + 3 characters.
  return long ?? (key.length > 12 ? undefined : items.find((x) => upperName(displayShortName(x.raw)) === key));
}

function dotName(raw: string): Uint8Array {
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function isFree(dir: DirHandle, slot: number, end: number): boolean {
  return slot >= end || dir.bytes[slot * DIRENT_SIZE] === DELETED;
}

/** First run of `k` free slots (deleted, or past the end marker), optionally contiguous on the device; or -1. */
function freeRun(dir: DirHandle, k: number, end: number, contiguous: boolean): number {
  let run = 0;
  for (let i = 0; i < dir.slotCount; i++) {
    const joined = run > 0 && (!contiguous || dir.slotOffset(i) === dir.slotOffset(i - 1) + DIRENT_SIZE);
    run = isFree(dir, i, end) ? (joined ? run + 1 : 1) : 0;
    if (run === k) return i - k + 1;
  }
  return -1;
}
