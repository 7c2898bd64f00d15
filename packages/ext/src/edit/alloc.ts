/**
 * Block and inode allocation on an existing filesystem: bitmaps loaded per group on demand
 * (uninitialised groups synthesised from the layout, as the kernel does), changes kept in memory
 * and counted in the group descriptors, then written back with their checksums by `flush()`.
 *
 * Without a journal on a metadata_csum filesystem a bitmap and its crc32c (in the group
 * descriptor) live in different blocks, so no in-place order avoids a moment where they disagree.
 * There `flush()` writes each changed bitmap to a free block instead and lets the descriptor
 * block that points at the copy (with its checksum and counts) be the one write that commits it.
 *
 * With a journal a transaction lands whole, so no order is needed: `flush()` then writes nothing
 * and the journal calls `writeBack()` once before each commit, so a batch of operations encodes and
 * checksums each changed bitmap, descriptor block and the superblock once, not once per operation.
 */
import { CorruptError } from '@fstool/blockdev';
import { NoSpaceError } from '@fstool/fs';
import { bitmapChecksum, superblockChecksum } from '../checksum.js';
import { BG_FLAGS, type GroupDesc } from '../format/group-desc.js';
import { INCOMPAT, RO_COMPAT, superblock } from '../format/superblock.js';
import type { Run } from '../read/mapping.js';
import { groupHasSuper, type Volume } from '../read/volume.js';

/** A run of physical blocks. */
export interface Extent {
  start: number;
  len: number;
}

const bit = (map: Uint8Array, i: number) => ((map[i >> 3] as number) >> (i & 7)) & 1;
const setBit = (map: Uint8Array, i: number) => {
  map[i >> 3] = (map[i >> 3] as number) | (1 << (i & 7));
};
const clearBit = (map: Uint8Array, i: number) => {
  map[i >> 3] = (map[i >> 3] as number) & ~(1 << (i & 7));
};

export class Allocator {
  private readonly blockMaps = new Map<number, Uint8Array>();
  private readonly inodeMaps = new Map<number, Uint8Array>();
  /** Groups whose bitmaps (or counts) changed since the last flush. */
  private readonly dirtyBlocks = new Set<number>();
  private readonly dirtyInodes = new Set<number>();
  /** Groups whose block bitmap does not agree with its free count: never allocated from. */
  private readonly suspect = new Set<number>();
  /**
   * Blocks freed in a journal transaction that is not committed yet, while batching: they are
   * counted free but not handed out, because file data (written straight to disk) could land on
   * them while the tree on disk still uses them. Undefined: freed blocks are reusable at once.
   */
  private pinned: Set<number> | undefined;
  /**
   * Per group, a bit index below which every bit of its bitmap is set (allocation starts there
   * rather than rescanning the used part from the group's start each time).
   */
  private readonly blockCursor = new Map<number, number>();
  private readonly inodeCursor = new Map<number, number>();
  /** Free blocks outside suspect groups and free inodes, summed once and then kept in step. */
  private blocksFree: number | undefined;
  private inodesFree: number | undefined;
  /** Where the last directory went: the next one's search starts there. */
  private lastDirGroup = -1;

  /**
   * @param mode `journal`: the caller journals every write, `flush()` leaves the writing to
   *   `writeBack()` at commit; `shadow`: write changed bitmaps to new blocks (copy-on-write) rather
   *   than in place, for checksummed bitmaps on a filesystem without a journal; `inplace`: neither.
   */
  constructor(
    private readonly vol: Volume,
    private readonly mode: 'journal' | 'shadow' | 'inplace' = 'inplace',
  ) {}

  /** Keeps blocks freed from now on out of reach until `unpin` (see `pinned`). */
  pin(): void {
    this.pinned ??= new Set();
  }

  /** The transaction that freed the pinned blocks is committed: they may be reused; pinning stops. */
  unpin(): void {
    this.pinned = undefined;
  }

  /** Blocks freed but held back by `pin`. */
  get pinnedCount(): number {
    return this.pinned?.size ?? 0;
  }

  freeBlocks(): number {
    if (this.blocksFree === undefined) {
      let n = 0;
      for (let g = 0; g < this.vol.groupCount; g++)
        if (!this.suspect.has(g)) n += this.vol.desc(g).bg_free_blocks_count;
      this.blocksFree = n;
    }
    return this.blocksFree - this.pinnedCount;
  }

  freeInodes(): number {
    this.inodesFree ??= this.vol.freeCounts().inodes;
    return this.inodesFree;
  }

  /** Keeps the block total in step with a change of group `g`'s free count. */
  private countBlocks(g: number, delta: number): void {
    if (this.blocksFree !== undefined && !this.suspect.has(g)) this.blocksFree += delta;
  }

  /** The group's block bitmap (one bit per block of the group, padding bits set). */
  async blockBitmap(g: number): Promise<Uint8Array> {
    let map = this.blockMaps.get(g);
    if (map) return map;
    const d = this.vol.desc(g);
    if ((d.bg_flags & BG_FLAGS.block_uninit) !== 0 && this.checksummedGroups()) {
      map = this.uninitBlockBitmap(g);
    } else {
      map = (await this.vol.block(d.bg_block_bitmap)).slice();
    }
    const n = this.vol.groupBlocks(g);
    for (let i = n; i < this.vol.blockSize * 8; i++) setBit(map, i);
    let free = 0;
    for (let i = 0; i < n; i++) if (!bit(map, i)) free++;
    if (free !== d.bg_free_blocks_count) {
      this.vol.warn(
        `group ${g}: block bitmap has ${free} free blocks, descriptor says ${d.bg_free_blocks_count}; not allocating there`,
      );
      this.countBlocks(g, -d.bg_free_blocks_count);
      this.suspect.add(g);
    }
    this.blockMaps.set(g, map);
    return map;
  }

  async inodeBitmap(g: number): Promise<Uint8Array> {
    let map = this.inodeMaps.get(g);
    if (map) return map;
    const d = this.vol.desc(g);
    if ((d.bg_flags & BG_FLAGS.inode_uninit) !== 0 && this.checksummedGroups()) {
      map = new Uint8Array(this.vol.blockSize);
    } else {
      map = (await this.vol.block(d.bg_inode_bitmap)).slice();
    }
    for (let i = this.vol.inodesPerGroup; i < this.vol.blockSize * 8; i++) setBit(map, i);
    this.inodeMaps.set(g, map);
    return map;
  }

  /** uninit_bg/metadata_csum: only then do the BLOCK_UNINIT/INODE_UNINIT flags mean anything. */
  private checksummedGroups(): boolean {
    return this.vol.metadataCsum || this.vol.gdtCsum;
  }

  /** What an uninitialised group's bitmap holds: its superblock area and any group's tables inside it. */
  private uninitBlockBitmap(g: number): Uint8Array {
    const vol = this.vol;
    const map = new Uint8Array(vol.blockSize);
    const start = vol.groupStart(g);
    const n = vol.groupBlocks(g);
    const mark = (b: number, count = 1) => {
      for (let i = 0; i < count; i++) if (b + i >= start && b + i < start + n) setBit(map, b + i - start);
    };
    const perBlock = vol.blockSize / vol.descSize;
    const metaBg = vol.hasIncompat(INCOMPAT.meta_bg);
    if (groupHasSuper(vol.sb, g)) {
      const classic = metaBg ? vol.sb.s_first_meta_bg : vol.gdtBlocks.length;
      mark(start, 1 + classic + vol.sb.s_reserved_gdt_blocks);
    }
    if (metaBg) {
      const m = Math.floor(g / perBlock);
      const pos = g % perBlock;
      if (m >= vol.sb.s_first_meta_bg && (pos === 0 || pos === 1 || pos === perBlock - 1)) {
        mark(start + (groupHasSuper(vol.sb, g) ? 1 : 0));
      }
    }
    const itb = vol.inodeTableBlocks();
    for (let h = 0; h < vol.groupCount; h++) {
      const d = vol.desc(h);
      mark(d.bg_block_bitmap);
      mark(d.bg_inode_bitmap);
      mark(d.bg_inode_table, itb);
    }
    return map;
  }

  private isFree(map: Uint8Array, i: number): boolean {
    return !bit(map, i);
  }

  /**
   * Takes `count` blocks, as few runs as possible, searching from `goal` onwards (wrapping).
   * Throws NoSpaceError (nothing taken) when there are not enough.
   */
  async allocBlocks(count: number, goal: number): Promise<Extent[]> {
    if (count === 0) return [];
    if (count > this.freeBlocks()) {
      throw new NoSpaceError(`ext: ${count} blocks needed, ${this.freeBlocks()} free`);
    }
    const vol = this.vol;
    const out: Extent[] = [];
    let left = count;
    const g0 = Math.max(0, Math.min(vol.groupCount - 1, Math.floor((goal - vol.firstDataBlock) / vol.blocksPerGroup)));
    for (let k = 0; k < vol.groupCount && left > 0; k++) {
      const g = (g0 + k) % vol.groupCount;
      if (vol.desc(g).bg_free_blocks_count === 0 || this.suspect.has(g)) continue;
      const map = await this.blockBitmap(g);
      if (this.suspect.has(g)) continue;
      const n = vol.groupBlocks(g);
      const start = vol.groupStart(g);
      let i = k === 0 ? Math.max(0, Math.min(n, goal - start)) : 0;
      const pinned = this.pinned;
      const usable = (j: number) => this.isFree(map, j) && !pinned?.has(start + j);
      const low = this.cursor(this.blockCursor, g, map, n);
      const scan = (from: number, to: number) => {
        for (let j = Math.max(from, low); j < to && left > 0; j++) {
          if ((j & 7) === 0 && map[j >> 3] === 0xff) {
            j += 7;
            continue;
          }
          if (!usable(j)) continue;
          let len = 0;
          while (j + len < to && len < left && usable(j + len)) len++;
          this.take(g, map, j, len);
          const last = out[out.length - 1];
          if (last && last.start + last.len === start + j) last.len += len;
          else out.push({ start: start + j, len });
          left -= len;
          j += len - 1;
        }
      };
      scan(i, n);
      if (left > 0 && i > low) scan(0, i);
      i = 0;
    }
    if (left > 0) {
      for (const e of out) this.freeBlocksRun(e.start, e.len);
      throw new NoSpaceError(`ext: ${count} blocks needed, only ${count - left} could be found`);
    }
    return out;
  }

  /**
   * Where allocation in group `g` may start: the stored cursor moved past the bits set since, and
   * kept (every bit below it is set; freeing a bit moves it back).
   */
  private cursor(cursors: Map<number, number>, g: number, map: Uint8Array, n: number): number {
    let c = cursors.get(g) ?? 0;
    while (c < n && (c & 7) === 0 && map[c >> 3] === 0xff) c += 8;
    while (c < n && bit(map, c)) c++;
    cursors.set(g, Math.min(c, n));
    return Math.min(c, n);
  }

  /** A bit of group `g` became free: its cursor may not stay above it. */
  private static lower(cursors: Map<number, number>, g: number, i: number): void {
    const c = cursors.get(g);
    if (c !== undefined && i < c) cursors.set(g, i);
  }

  private take(g: number, map: Uint8Array, i: number, len: number): void {
    for (let j = 0; j < len; j++) setBit(map, i + j);
    this.countBlocks(g, -len);
    const d = this.vol.desc(g);
    this.vol.setDesc(g, {
      bg_free_blocks_count: d.bg_free_blocks_count - len,
      bg_flags: d.bg_flags & ~BG_FLAGS.block_uninit,
    });
    this.dirtyBlocks.add(g);
  }

  /** Returns blocks to the free pool. Their bitmaps must be loaded (they were read or allocated). */
  freeBlocksRun(start: number, len: number): void {
    const vol = this.vol;
    for (let b = start; b < start + len; b++) {
      const g = Math.floor((b - vol.firstDataBlock) / vol.blocksPerGroup);
      const map = this.blockMaps.get(g);
      if (!map) throw new CorruptError(`ext: freeing block ${b} of group ${g} whose bitmap is not loaded`);
      const i = b - vol.groupStart(g);
      if (this.isFree(map, i)) {
        vol.warn(`block ${b} was already free`);
        continue;
      }
      clearBit(map, i);
      Allocator.lower(this.blockCursor, g, i);
      this.countBlocks(g, 1);
      this.pinned?.add(b);
      vol.setDesc(g, { bg_free_blocks_count: vol.desc(g).bg_free_blocks_count + 1 });
      this.dirtyBlocks.add(g);
    }
  }

  /** Loads the bitmaps of the groups these runs live in (before freeing them). */
  async loadFor(runs: ReadonlyArray<Extent | Run>): Promise<void> {
    for (const r of runs) {
      const start = 'start' in r ? r.start : r.physical;
      const len = 'len' in r ? r.len : r.length;
      const g0 = Math.floor((start - this.vol.firstDataBlock) / this.vol.blocksPerGroup);
      const g1 = Math.floor((start + len - 1 - this.vol.firstDataBlock) / this.vol.blocksPerGroup);
      for (let g = g0; g <= g1; g++) await this.blockBitmap(g);
    }
  }

  /**
   * Takes a free inode, preferring `goalGroup` (the parent's). Directories go, much as the
   * kernel's Orlov allocator places them, to the first group that still has at least the average
   * free inodes less a quarter group, searching from where the previous directory went (else the
   * goal) onwards, so directories made one after another (and their blocks) stay together instead
   * of going back and forth between groups near the threshold; top-level ones (`spread`) and
   * those finding no such group go to the emptiest.
   */
  async allocInode(isDir: boolean, goalGroup: number, spread = false): Promise<number> {
    const vol = this.vol;
    if (this.freeInodes() === 0) throw new NoSpaceError('ext: no free inodes');
    const groups = vol.groupCount;
    // Never spread or recurse over groups: a 16 TiB filesystem has over 131,072 of them. One pass
    // finds a directory's group (the emptiest, lowest first); then, should its bitmap disagree
    // with its count, every group from the goal on.
    let start = goalGroup;
    if (isDir) {
      const enough = this.freeInodes() / groups - vol.inodesPerGroup / 4;
      const qualifies = (g: number) => {
        const free = vol.desc(g).bg_free_inodes_count;
        return free > 0 && free >= enough;
      };
      const from = this.lastDirGroup >= 0 ? this.lastDirGroup : goalGroup;
      let found = -1;
      for (let k = 0; k < groups && !spread && found < 0; k++) {
        if (qualifies((from + k) % groups)) found = (from + k) % groups;
      }
      start = found;
      if (start < 0) {
        start = 0;
        for (let g = 1; g < groups; g++)
          if (vol.desc(g).bg_free_inodes_count > vol.desc(start).bg_free_inodes_count) start = g;
      }
    }
    const first = vol.sb.s_rev_level === 0 ? 11 : vol.sb.s_first_ino;
    for (let k = 0; k < groups; k++) {
      const g = (start + k) % groups;
      const d = vol.desc(g);
      if (d.bg_free_inodes_count === 0) continue;
      const map = await this.inodeBitmap(g);
      for (let i = this.cursor(this.inodeCursor, g, map, vol.inodesPerGroup); i < vol.inodesPerGroup; i++) {
        const ino = g * vol.inodesPerGroup + i + 1;
        if (ino < first || bit(map, i)) continue;
        setBit(map, i);
        if (this.inodesFree !== undefined) this.inodesFree--;
        const patch: Parameters<Volume['setDesc']>[1] = {
          bg_free_inodes_count: d.bg_free_inodes_count - 1,
          bg_flags: d.bg_flags & ~BG_FLAGS.inode_uninit,
        };
        if (isDir) {
          patch.bg_used_dirs_count = d.bg_used_dirs_count + 1;
          this.lastDirGroup = g;
        }
        if (this.checksummedGroups()) {
          const unusedFrom = vol.inodesPerGroup - d.bg_itable_unused;
          if (i >= unusedFrom) patch.bg_itable_unused = vol.inodesPerGroup - i - 1;
        }
        vol.setDesc(g, patch);
        this.dirtyInodes.add(g);
        return ino;
      }
    }
    throw new NoSpaceError('ext: no free inodes');
  }

  async freeInode(ino: number, isDir: boolean): Promise<void> {
    const vol = this.vol;
    const g = Math.floor((ino - 1) / vol.inodesPerGroup);
    const i = (ino - 1) % vol.inodesPerGroup;
    const map = await this.inodeBitmap(g);
    if (!bit(map, i)) {
      vol.warn(`inode ${ino} was already free`);
      return;
    }
    clearBit(map, i);
    Allocator.lower(this.inodeCursor, g, i);
    if (this.inodesFree !== undefined) this.inodesFree++;
    const d = vol.desc(g);
    vol.setDesc(g, {
      bg_free_inodes_count: d.bg_free_inodes_count + 1,
      bg_used_dirs_count: isDir ? Math.max(0, d.bg_used_dirs_count - 1) : d.bg_used_dirs_count,
    });
    this.dirtyInodes.add(g);
  }

  /** Group of an inode (allocation goal for its blocks and its children). */
  groupOf(ino: number): number {
    return Math.floor((ino - 1) / this.vol.inodesPerGroup);
  }

  /**
   * The ordering point before something on disk points at what was allocated: writes changed
   * bitmaps, then the descriptors and superblock counts that describe them. The bitmaps go first:
   * a crash in between leaves blocks marked used but counted free (e2fsck fixes counts silently),
   * never the reverse. In shadow mode the bitmaps go to new blocks and the descriptor blocks are
   * written in an order where a group's new bitmap block is marked used before the group points
   * at it, and its old one is freed only after. In journal mode nothing: see `writeBack`.
   */
  async flush(now: number): Promise<void> {
    if (this.mode !== 'journal') await this.writeBack(now);
  }

  /** Blocks `writeBack` would write now at most (bitmaps, descriptor blocks, the superblock's). */
  get pendingBlocks(): number {
    const maps = this.dirtyBlocks.size + this.dirtyInodes.size;
    // At most one descriptor block per changed bitmap (asked per journalled write: kept O(1)).
    return maps === 0 ? 0 : maps + Math.min(maps, this.vol.gdtBlocks.length) + 1;
  }

  /** Writes what changed since the last write-back (see `flush`). */
  async writeBack(now: number): Promise<void> {
    const vol = this.vol;
    if (this.dirtyBlocks.size === 0 && this.dirtyInodes.size === 0) return;
    const edges = this.mode === 'shadow' ? await this.relocate() : [];
    const full = vol.descSize >= 64;
    for (const g of this.dirtyBlocks) {
      const map = this.blockMaps.get(g) as Uint8Array;
      await vol.writeBlocks(vol.desc(g).bg_block_bitmap, map);
      if (vol.metadataCsum) {
        const c = bitmapChecksum(vol.csumSeed, map, vol.blocksPerGroup);
        vol.setDesc(g, { bg_block_bitmap_csum: full ? c : c & 0xffff });
      }
    }
    for (const g of this.dirtyInodes) {
      const map = this.inodeMaps.get(g) as Uint8Array;
      await vol.writeBlocks(vol.desc(g).bg_inode_bitmap, map);
      if (vol.metadataCsum) {
        const c = bitmapChecksum(vol.csumSeed, map, vol.inodesPerGroup);
        vol.setDesc(g, { bg_inode_bitmap_csum: full ? c : c & 0xffff });
      }
    }
    const dirty = new Set([...this.dirtyBlocks, ...this.dirtyInodes]);
    const perBlock = vol.blockSize / vol.descSize;
    for (const g of dirty) if (vol.metadataCsum || vol.gdtCsum) vol.setDesc(g, { bg_checksum: vol.descChecksum(g) });
    const unit = (g: number) => Math.floor(g / perBlock);
    const units = commitOrder(
      [...new Set([...dirty].map(unit))],
      edges.map(([a, b]) => [unit(a), unit(b)]),
    );
    for (const i of units) {
      const block = new Uint8Array(vol.blockSize);
      block.set(vol.gdt.subarray(i * vol.blockSize, Math.min(vol.gdt.length, (i + 1) * vol.blockSize)));
      // Past the last descriptor the block keeps what it had on disk.
      if ((i + 1) * vol.blockSize > vol.gdt.length) {
        const old = await vol.block(vol.gdtBlocks[i] as number);
        block.set(old.subarray(vol.gdt.length - i * vol.blockSize), vol.gdt.length - i * vol.blockSize);
      }
      await vol.writeBlocks(vol.gdtBlocks[i] as number, block);
    }
    this.dirtyBlocks.clear();
    this.dirtyInodes.clear();
    await this.writeSuperblock(now);
  }

  /**
   * Moves every changed bitmap to a newly taken block (a move changes the bitmaps holding the new
   * and the old block, which then move too, until nothing new changes). The old blocks are freed
   * only at the end, so none is reused while the descriptor on disk still points at it. Returns
   * the commit order constraints as [first, then] group pairs. A bitmap with nowhere to go (a full
   * filesystem, or a full group without flex_bg, where bitmaps must stay in their group) is
   * written in place.
   */
  private async relocate(): Promise<Array<[number, number]>> {
    const vol = this.vol;
    const fields = ['bg_block_bitmap', 'bg_inode_bitmap'] as const;
    const moved = new Set<string>();
    const old: number[] = [];
    const edges: Array<[number, number]> = [];
    for (;;) {
      const todo = [
        ...[...this.dirtyBlocks].map((g) => [g, fields[0]] as const),
        ...[...this.dirtyInodes].map((g) => [g, fields[1]] as const),
      ].filter(([g, field]) => !moved.has(`${g}:${field}`));
      if (todo.length === 0) break;
      for (const [g, field] of todo) {
        moved.add(`${g}:${field}`);
        const to = await this.takeOne(g);
        if (to === undefined) continue;
        const from = vol.desc(g)[field];
        const host = this.groupOfBlock(from);
        await this.blockBitmap(host);
        this.dirtyBlocks.add(host);
        vol.setDesc(g, { [field]: to } as Partial<GroupDesc>);
        old.push(from);
        edges.push([this.groupOfBlock(to), g], [g, host]);
      }
    }
    for (const b of old) this.freeBlocksRun(b, 1);
    return edges;
  }

  /** One free block for a bitmap of group `g`: in `g` itself if it can, elsewhere only with flex_bg. */
  private async takeOne(g: number): Promise<number | undefined> {
    const vol = this.vol;
    if (vol.hasIncompat(INCOMPAT.flex_bg)) {
      try {
        return (await this.allocBlocks(1, vol.groupStart(g)))[0]?.start;
      } catch (err) {
        if (err instanceof NoSpaceError) return undefined;
        throw err;
      }
    }
    if (vol.desc(g).bg_free_blocks_count === 0 || this.suspect.has(g)) return undefined;
    const map = await this.blockBitmap(g);
    if (this.suspect.has(g)) return undefined;
    for (let i = 0; i < vol.groupBlocks(g); i++) {
      if (!this.isFree(map, i)) continue;
      this.take(g, map, i, 1);
      return vol.groupStart(g) + i;
    }
    return undefined;
  }

  private groupOfBlock(block: number): number {
    return Math.floor((block - this.vol.firstDataBlock) / this.vol.blocksPerGroup);
  }

  /** Writes the primary superblock with current free counts, write time and checksum. */
  async writeSuperblock(now: number): Promise<void> {
    const vol = this.vol;
    const { blocks: freeBlocks, inodes: freeInodes } = vol.freeCounts();
    const raw = vol.sbRaw;
    superblock.patch({ s_free_blocks_count: freeBlocks, s_free_inodes_count: freeInodes, s_wtime: now }, raw);
    if (vol.hasRoCompat(RO_COMPAT.metadata_csum)) superblock.set(raw, 0, 's_checksum', superblockChecksum(raw));
    await vol.dev.write(1024, raw);
  }
}

/**
 * The descriptor blocks `units` in an order that honours `[first, then]` pairs (ascending where
 * free to choose). Pairs within one block need nothing: the block is written whole. A cycle
 * (possible only with bitmaps scattered across descriptor blocks by hand) is broken in ascending
 * order, which leaves that flush the in-place window.
 */
function commitOrder(units: number[], pairs: Array<[number, number]>): number[] {
  const wanted = new Set(units);
  const after = new Map<number, Set<number>>();
  const before = new Map<number, number>(units.map((u) => [u, 0]));
  for (const [a, b] of pairs) {
    if (a === b || !wanted.has(a) || !wanted.has(b)) continue;
    const next = after.get(a) ?? new Set<number>();
    if (next.has(b)) continue;
    next.add(b);
    after.set(a, next);
    before.set(b, (before.get(b) ?? 0) + 1);
  }
  const out: number[] = [];
  const left = new Set([...wanted].sort((x, y) => x - y));
  while (left.size > 0) {
    const ready = [...left].find((u) => before.get(u) === 0) ?? ([...left][0] as number);
    left.delete(ready);
    out.push(ready);
    for (const b of after.get(ready) ?? []) before.set(b, (before.get(b) ?? 0) - 1);
  }
  return out;
}
