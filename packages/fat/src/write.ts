/**
 * Emits a planned tree: boot region, both FATs, the fixed root (FAT12/16) and the data area,
 * written front to back in large sequential chunks. File contents are streamed, never held whole.
 */
import { type BlockDevice, FsError, isZero } from '@fstool/blockdev';
import type { BuildContext, Entry } from '@fstool/fs';
import { encodeBootRegion } from './boot.js';
import { EOC, fatBytes, setEntry, setReservedEntries } from './fat-entries.js';
import { SECTOR_SIZE } from './format/boot-sector.js';
import { ATTR, DIRENT_SIZE } from './format/dirent.js';
import { type Geometry, NUM_FATS } from './geometry.js';
import { shortNameBytes } from './names.js';
import type { PlanDir, PlanFile, TreePlan } from './plan.js';
import { encodeRecord, encodeShort, type RecordInfo, recordInfo } from './records.js';

const CHUNK = 1 << 20;
const DOT = shortNameBytes('.          ');
const DOTDOT = shortNameBytes('..         ');

export interface WriteParams {
  volumeId: number;
  label?: string;
  oemName: string;
  hiddenSectors: number;
  zone: number;
  hideDotFiles: boolean;
  zeroed: boolean;
}

/** Appends to the device through one buffer; all-zero chunks go through `zero()` (sparse-friendly). */
class Emitter {
  readonly buf = new Uint8Array(CHUNK);
  len = 0;
  constructor(
    readonly dev: BlockDevice,
    public offset: number,
    readonly zeroed: boolean,
  ) {}

  /** A writable window of up to `max` bytes at the end (flushes first when full). */
  async room(max: number): Promise<Uint8Array> {
    if (this.len === this.buf.length) await this.flush();
    return this.buf.subarray(this.len, this.len + Math.min(max, this.buf.length - this.len));
  }

  async flush(): Promise<void> {
    if (this.len === 0) return;
    const data = this.buf.subarray(0, this.len);
    if (!isZero(data)) await this.dev.write(this.offset, data);
    else if (!this.zeroed) await this.dev.zero(this.offset, this.len);
    this.offset += this.len;
    this.len = 0;
  }
}

async function writeFat(dev: BlockDevice, geo: Geometry, plan: TreePlan, used: number, zeroed: boolean): Promise<void> {
  const type = geo.fatType;
  const fatLen = geo.fatSectors * SECTOR_SIZE;
  const ends = new Set<number>();
  for (const node of plan.order) if (node.clusters) ends.add(node.cluster + node.clusters - 1);
  // Entries of the FAT written explicitly: the reserved two and every used cluster; the rest is zero.
  const count = used + 2;
  const perChunk = type === 12 ? 2048 : CHUNK / (type / 8); // even for FAT12: chunks end on a byte
  for (let first = 0; first < count; first += perChunk) {
    const n = Math.min(perChunk, count - first);
    const chunk = new Uint8Array(fatBytes(type, n + (n & 1)));
    for (let i = 0; i < n; i++) {
      const c = first + i;
      if (c >= 2) setEntry(chunk, type, i, ends.has(c) ? EOC[type] : c + 1);
    }
    if (first === 0) setReservedEntries(chunk, type, 0xf8);
    const at = fatBytes(type, first);
    const len = Math.min(chunk.length, fatLen - at);
    for (let k = 0; k < NUM_FATS; k++) {
      await dev.write(geo.reservedSectors * SECTOR_SIZE + k * fatLen + at, chunk.subarray(0, len));
    }
  }
  const tail = fatBytes(type, count + (count & 1));
  if (zeroed) return;
  for (let k = 0; k < NUM_FATS; k++) {
    const start = geo.reservedSectors * SECTOR_SIZE + k * fatLen;
    if (tail < fatLen) await dev.zero(start + tail, fatLen - tail);
  }
}

/** Encodes a directory's entries into `out` (already zeroed). */
function encodeDir(dir: PlanDir, plan: TreePlan, out: Uint8Array, p: WriteParams): void {
  let off = 0;
  const self: RecordInfo = { ...recordInfo(dir.entry, '', false), cluster: dir.cluster, size: 0 };
  if (dir === plan.root) {
    if (plan.label !== undefined) {
      encodeShort(out, 0, shortNameBytes(plan.label), 0, { ...self, attr: ATTR.VOLUME_ID, cluster: 0 }, p.zone);
      off += DIRENT_SIZE;
    }
  } else {
    const parent = dir.parent as PlanDir;
    encodeShort(out, 0, DOT, 0, self, p.zone);
    // '..' of a directory in the root points at cluster 0, also on FAT32.
    const up = parent === plan.root ? 0 : parent.cluster;
    encodeShort(out, DIRENT_SIZE, DOTDOT, 0, { ...self, cluster: up }, p.zone);
    off = 2 * DIRENT_SIZE;
  }
  for (const child of dir.children) {
    const node = child.node;
    const info: RecordInfo = {
      ...recordInfo(node.entry, child.name, p.hideDotFiles),
      cluster: node.cluster,
      size: node.kind === 'file' ? node.size : 0,
    };
    off += encodeRecord(out, off, child.name, child.short, info, p.zone) * DIRENT_SIZE;
  }
}

async function writeFile(em: Emitter, file: PlanFile, clusterSize: number): Promise<void> {
  const entry: Entry = file.entry;
  if (file.size === 0) return;
  if (!entry.open) throw new FsError('EIO', `${entry.path}: file has no contents to read`);
  const src = entry.open();
  try {
    let done = 0;
    while (done < file.size) {
      const room = await em.room(file.size - done);
      const n = src.readSync ? src.readSync(done, room) : await src.read(done, room);
      if (n <= 0)
        throw new FsError('EIO', `${entry.path}: ended after ${done} of ${file.size} bytes (changed while building?)`);
      em.len += n;
      done += n;
    }
  } finally {
    await src.close();
  }
  // Pad the last cluster with zeros.
  let pad = file.clusters * clusterSize - file.size;
  while (pad > 0) {
    const room = await em.room(pad);
    room.fill(0);
    em.len += room.length;
    pad -= room.length;
  }
}

/** Writes the whole volume; the plan has been placed on `geo` and checked to fit. */
export async function writeVolume(
  dev: BlockDevice,
  geo: Geometry,
  plan: TreePlan,
  used: number,
  p: WriteParams,
  ctx: BuildContext,
): Promise<void> {
  const free = geo.clusters - used;
  const boot: Parameters<typeof encodeBootRegion>[0] = {
    geometry: geo,
    volumeId: p.volumeId,
    oemName: p.oemName,
    hiddenSectors: p.hiddenSectors,
  };
  if (p.label !== undefined) boot.label = p.label;
  await dev.write(0, encodeBootRegion(boot, free, used + 2 <= geo.clusters + 1 ? used + 2 : 0xffffffff));
  await writeFat(dev, geo, plan, used, p.zeroed);
  if (geo.fatType !== 32) {
    const root = new Uint8Array(geo.rootSectors * SECTOR_SIZE);
    encodeDir(plan.root, plan, root, p);
    await dev.write((geo.reservedSectors + NUM_FATS * geo.fatSectors) * SECTOR_SIZE, root);
  }
  const em = new Emitter(dev, geo.firstDataSector * SECTOR_SIZE, p.zeroed);
  const total = used * geo.clusterSize;
  let reported = 0;
  for (const node of plan.order) {
    if (!node.clusters) continue;
    if (node.kind === 'dir') {
      const bytes = new Uint8Array(node.clusters * geo.clusterSize);
      encodeDir(node, plan, bytes, p);
      for (let off = 0; off < bytes.length; ) {
        const room = await em.room(bytes.length - off);
        room.set(bytes.subarray(off, off + room.length));
        em.len += room.length;
        off += room.length;
      }
    } else {
      await writeFile(em, node, geo.clusterSize);
    }
    const done = em.offset + em.len - geo.firstDataSector * SECTOR_SIZE;
    if (ctx.onProgress && done - reported >= 16 * CHUNK) {
      ctx.onProgress({ phase: 'data', done, total });
      reported = done;
    }
  }
  await em.flush();
  ctx.onProgress?.({ phase: 'data', done: total, total });
  await dev.flush();
}
