/**
 * Changing directories in place: insert (into a gap, or by rebuilding the directory into fresh
 * blocks — linear or indexed as its size asks), remove, and repointing an entry at another inode
 * (atomic replace). Each step is one block or one inode write, so a crash never leaves a
 * directory half-changed. Parents' sizes and maps are kept in step.
 */
import { CorruptError } from '@fstool/blockdev';
import { encodeName } from '@fstool/fs';
import { inodeChecksumSeed } from '../checksum.js';
import { dirEntry, dxRoot } from '../format/dirent.js';
import { nameHash } from '../format/htree.js';
import { GOOD_OLD_INODE_SIZE, INODE_FLAGS, type InodeBase } from '../format/inode.js';
import { COMPAT, INCOMPAT, SB_FLAGS } from '../format/superblock.js';
import { splitXattrName } from '../format/xattr.js';
import type { XattrItem } from '../plan/plan.js';
import {
  type DirBlocks,
  type DirRecord,
  dirBlockSealed,
  dirBlocks,
  dirSeed,
  dxHashVersion,
  dxPath,
  isIndexed,
  isInline,
  mappedBlocks,
  physicalOf,
  readDir,
  readDirBlock,
} from '../read/dir.js';
import { decodeInode, type Inode } from '../read/inode.js';
import { fileMap, type Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';
import { ibodyXattrs } from '../read/xattr.js';
import { directoryBlocks } from '../write/dir.js';
import { writeInodeXattrs } from '../write/xattr.js';
import type { Allocator, Extent } from './alloc.js';
import { emptyLeaf, insertIntoLeaf, type NewDirent, removeFromLeaf, sealDx, sealLeaf } from './dir-block.js';
import { planDirectory } from './dir-plan.js';
import { updateInode } from './inode-write.js';
import { buildMapping, mappingBlocks } from './mapping-write.js';
import { writeFresh } from './tx-device.js';

/** What directory and mapping changes need: the volume, the allocator and the time to stamp. */
export interface EditContext {
  vol: Volume;
  alloc: Allocator;
  now: number;
  /** Per directory inode, the logical block where the last linear insert found room. */
  hints: Map<number, number>;
  /** Names that may be in directories made in this session (see `NameIndex`). */
  names: NameIndex;
}

/** Most names a `NameIndex` keeps before it starts over (memory stays bounded on huge trees). */
const MAX_INDEXED_NAMES = 1_000_000;

/**
 * For each directory made in this session, every name ever inserted into it: a superset of what
 * it holds (a removal leaves its name here; every insert goes through `dirInsert`, which adds the
 * name first). A name missing here is missing on disk, so an add into a new directory skips the
 * scan of its blocks that a name check costs otherwise (quadratic in a directory's size).
 */
export class NameIndex {
  readonly #dirs = new Map<number, Set<string>>();
  #count = 0;

  /** A directory just made, empty but for '.' and '..'. */
  made(ino: number): void {
    if (this.#count >= MAX_INDEXED_NAMES) {
      this.#dirs.clear();
      this.#count = 0;
    }
    this.#dirs.set(ino, new Set());
  }

  add(dir: number, name: Uint8Array): void {
    const names = this.#dirs.get(dir);
    if (!names) return;
    names.add(nameKey(name));
    this.#count++;
  }

  /** False only when `name` is certainly not in directory `dir`. */
  mayHave(dir: number, name: Uint8Array): boolean {
    return this.#dirs.get(dir)?.has(nameKey(name)) ?? true;
  }
}

/** A name's bytes as a string key, one code unit per byte. */
function nameKey(name: Uint8Array): string {
  let s = '';
  for (const b of name) s += String.fromCharCode(b);
  return s;
}

/** Expands extents into single block numbers (mapping blocks are few). */
export function blockList(exts: readonly Extent[]): number[] {
  const out: number[] = [];
  for (const e of exts) for (let i = 0; i < e.len; i++) out.push(e.start + i);
  return out;
}

/**
 * Gives an inode a new mapping over `runs`: new mapping blocks are written first, then the
 * inode (with `patch` and `addedBlocks` more data blocks charged), then the old mapping blocks
 * are freed.
 */
async function remap(
  ctx: EditContext,
  inode: Inode,
  runs: readonly Run[],
  patch: Partial<InodeBase>,
  addedBlocks: number,
): Promise<Inode> {
  const { vol, alloc } = ctx;
  const old = await fileMap(vol, inode);
  const extents = ((patch.i_flags ?? inode.base.i_flags) & INODE_FLAGS.extents) !== 0;
  const need = mappingBlocks(vol, runs, extents);
  const goal = runs[runs.length - 1]?.physical ?? vol.firstDataBlock;
  const meta = await alloc.allocBlocks(need, goal);
  const iblock = await buildMapping(vol, inode.ino, inode.base.i_generation, runs, extents, blockList(meta));
  const charged = addedBlocks + need - old.meta.length;
  // The new blocks are marked used on disk before the inode points at them.
  await alloc.flush(ctx.now);
  const updated = await updateInode(vol, inode, {
    ...patch,
    i_block: iblock,
    i_blocks: inode.base.i_blocks + (charged * vol.blockSize) / 512,
  });
  const freed = old.meta.map((b) => ({ start: b, len: 1 }));
  await alloc.loadFor(freed);
  for (const f of freed) alloc.freeBlocksRun(f.start, f.len);
  return updated;
}

/**
 * Writes a leaf block after sealing it (`fresh`: newly allocated, see writeFresh). `buf` is handed
 * over: the cache keeps it.
 */
async function writeLeaf(ctx: EditContext, dir: Inode, pb: number, buf: Uint8Array, fresh = false): Promise<void> {
  sealLeaf(ctx.vol, dirSeed(ctx.vol, dir), buf);
  if (fresh) return writeFresh(ctx.vol, pb, buf, true);
  await ctx.vol.writeBlocks(pb, buf, true, true);
  // The cache now holds `buf` itself: the next insert reads it back without checksumming it again.
  dirBlockSealed(buf, dir.ino);
}

/** Appends one block holding `content` to a directory. */
async function appendBlock(ctx: EditContext, dir: Inode, blocks: DirBlocks, content: Uint8Array): Promise<Inode> {
  const lb = blocks.count;
  const last = blocks.runs[blocks.runs.length - 1];
  const [ext] = await ctx.alloc.allocBlocks(1, last ? last.physical + last.length : ctx.vol.firstDataBlock);
  const pb = (ext as Extent).start;
  await writeLeaf(ctx, dir, pb, content, true);
  const runs = [...blocks.runs, { logical: lb, physical: pb, length: 1, unwritten: false }];
  return remap(ctx, dir, runs, { i_size: (lb + 1) * ctx.vol.blockSize }, 1);
}

/** Adds an entry. Returns the directory's inode as it is afterwards. */
export async function dirInsert(ctx: EditContext, dir: Inode, entry: NewDirent): Promise<Inode> {
  const { vol } = ctx;
  ctx.names.add(dir.ino, entry.name);
  if (isInline(dir)) return rebuild(ctx, dir, entry);
  const blocks = await dirBlocks(vol, dir);
  if (isIndexed(vol, dir)) {
    const done = await htreeInsert(ctx, dir, blocks, entry);
    if (done) return done;
    return rebuild(ctx, dir, entry);
  }
  // Start where the last insert into this directory found room (usually its last block).
  const order = [...mappedBlocks(blocks)];
  const from = Math.max(0, order.indexOf(ctx.hints.get(dir.ino) ?? 0));
  for (const lb of [...order.slice(from), ...order.slice(0, from)]) {
    const buf = (await readDirBlock(vol, dir, blocks, lb))?.slice();
    if (buf && insertIntoLeaf(vol, buf, entry)) {
      await writeLeaf(ctx, dir, physicalOf(blocks, lb) as number, buf);
      ctx.hints.set(dir.ino, lb);
      return dir;
    }
  }
  if (vol.hasCompat(COMPAT.dir_index)) return rebuild(ctx, dir, entry);
  ctx.hints.set(dir.ino, blocks.count);
  const fresh = emptyLeaf(vol);
  insertIntoLeaf(vol, fresh, entry);
  return appendBlock(ctx, dir, blocks, fresh);
}

/** Hash and minor hash of a name for this directory's index. */
function hashOf(vol: Volume, version: number, name: Uint8Array): { hash: number; minor: number } {
  return nameHash(name, version, vol.sb.s_hash_seed);
}

/**
 * Inserts through the index into the leaf the hash selects (one block write). Undefined when that
 * leaf is full or the index is unusable: the caller rebuilds the directory into fresh blocks, which
 * unlike splitting a leaf in place stays consistent at every step of a crash.
 */
async function htreeInsert(
  ctx: EditContext,
  dir: Inode,
  blocks: DirBlocks,
  entry: NewDirent,
): Promise<Inode | undefined> {
  const { vol } = ctx;
  const root = await readDirBlock(vol, dir, blocks, 0);
  if (!root) return undefined;
  const version = dxHashVersion(vol, root);
  let path: Awaited<ReturnType<typeof dxPath>>;
  try {
    path = await dxPath(vol, dir, blocks, hashOf(vol, version, entry.name).hash);
  } catch (e) {
    if (e instanceof CorruptError) return undefined;
    throw e;
  }
  const leafPb = physicalOf(blocks, path.leaf) as number;
  const leaf = (await readDirBlock(vol, dir, blocks, path.leaf))?.slice();
  if (!leaf) return undefined;
  if (insertIntoLeaf(vol, leaf, entry)) {
    await writeLeaf(ctx, dir, leafPb, leaf);
    return dir;
  }
  return undefined;
}

/**
 * Rewrites a directory into fresh blocks (old ones freed after the inode switches), as an htree
 * when it needs more than one block and the filesystem has dir_index, else linear.
 */
async function rebuild(ctx: EditContext, original: Inode, extra?: NewDirent, exclude?: string): Promise<Inode> {
  const { vol, alloc } = ctx;
  const records = await readDir(vol, original);
  const parent = records.find((r) => r.name === '..')?.ino ?? original.ino;
  // An inline directory moves to blocks: its inline area and system.data go.
  const dir = isInline(original) ? withoutInlineData(vol, original) : original;
  const entries: NewDirent[] = records
    .filter((r) => r.name !== '.' && r.name !== '..' && r.name !== exclude)
    .map((r) => ({ name: encodeName(r.name), ino: r.ino, fileType: r.fileType }));
  if (extra) entries.push(extra);
  const old = await dirBlocks(vol, dir);
  const oldRoot = isIndexed(vol, dir) ? await readDirBlock(vol, dir, old, 0) : undefined;
  const rootVersion = oldRoot ? dxRoot.get(oldRoot, 0, 'hash_version') : vol.sb.s_def_hash_version;
  const unsigned = (vol.sb.s_flags & SB_FLAGS.unsigned_hash) !== 0;
  const version = unsigned && rootVersion <= 2 ? rootVersion + 3 : rootVersion;
  const layout = planDirectory(
    vol,
    entries.map((e) => e.name),
    version,
    vol.hasCompat(COMPAT.dir_index),
    vol.hasIncompat(INCOMPAT.large_dir),
  );
  const oldMap = await fileMap(vol, dir);
  const exts = await alloc.allocBlocks(layout.blocks, old.runs[0]?.physical ?? vol.firstDataBlock);
  const phys = blockList(exts);
  const seed = dirSeed(vol, dir);
  const out = directoryBlocks(layout, dir.ino, parent, (k) => entries[k] as NewDirent, {
    blockSize: vol.blockSize,
    seed: vol.metadataCsum ? seed : undefined,
    filetype: vol.hasIncompat(INCOMPAT.filetype),
  });
  let flags = dir.base.i_flags & ~(INODE_FLAGS.index | INODE_FLAGS.inline_data);
  if (isInline(original) && vol.hasIncompat(INCOMPAT.extent)) flags |= INODE_FLAGS.extents;
  if (layout.hashes) {
    flags |= INODE_FLAGS.index;
    // The writer's roots say half-MD4; an existing index keeps its own hash.
    const root = out[0] as Uint8Array;
    if (dxRoot.get(root, 0, 'hash_version') !== rootVersion) {
      dxRoot.set(root, 0, 'hash_version', rootVersion);
      sealDx(vol, seed, root, true);
    }
  }
  for (let i = 0; i < out.length; i++) await writeFresh(vol, phys[i] as number, out[i] as Uint8Array, true);
  const runs: Run[] = [];
  let logical = 0;
  for (const e of exts) {
    runs.push({ logical, physical: e.start, length: e.len, unwritten: false });
    logical += e.len;
  }
  const dataBefore = oldMap.runs.reduce((s, r) => s + r.length, 0);
  const updated = await remap(
    ctx,
    dir,
    runs,
    { i_size: out.length * vol.blockSize, i_flags: flags },
    out.length - dataBefore,
  );
  const freed = oldMap.runs.map((r) => ({ start: r.physical, len: r.length }));
  await alloc.loadFor(freed);
  for (const f of freed) alloc.freeBlocksRun(f.start, f.len);
  return updated;
}

/** Per volume, an empty directory's block with '.' and '..' at inode 0 (firstDirBlock fills them in). */
const emptyDirTemplates = new WeakMap<Volume, Uint8Array>();

/** The only block of a new, empty directory: '.' and '..'. */
export function firstDirBlock(vol: Volume, ino: number, parent: number): Uint8Array {
  let template = emptyDirTemplates.get(vol);
  if (!template) {
    const empty = { order: new Uint32Array(0), leafStart: [0], blocks: 1 };
    [template] = directoryBlocks(empty, 0, 0, () => ({ ino: 0, fileType: 0, name: new Uint8Array(0) }), {
      blockSize: vol.blockSize,
      seed: vol.metadataCsum ? 0 : undefined,
      filetype: vol.hasIncompat(INCOMPAT.filetype),
    }) as [Uint8Array];
    emptyDirTemplates.set(vol, template);
  }
  const block = template.slice();
  dirEntry.set(block, 0, 'inode', ino);
  dirEntry.set(block, dirEntry.get(block, 0, 'rec_len'), 'inode', parent);
  if (vol.metadataCsum) sealLeaf(vol, inodeChecksumSeed(vol.csumSeed, ino, 0), block);
  return block;
}

/** Removes the entry `rec`; returns the directory's inode as it is afterwards. */
export async function dirRemove(ctx: EditContext, dir: Inode, rec: DirRecord): Promise<Inode> {
  if (isInline(dir)) return rebuild(ctx, dir, undefined, rec.name);
  const blocks = await dirBlocks(ctx.vol, dir);
  const pb = physicalOf(blocks, rec.lblock);
  const buf = (await readDirBlock(ctx.vol, dir, blocks, rec.lblock))?.slice();
  if (pb === undefined || !buf)
    throw new CorruptError(`ext: directory inode ${dir.ino}: entry ${rec.name} is in a hole`);
  removeFromLeaf(buf, rec.offset);
  await writeLeaf(ctx, dir, pb, buf);
  return dir;
}

/** Points an existing entry at another inode (one block write: the atomic step of a replace). */
export async function dirRepoint(
  ctx: EditContext,
  dir: Inode,
  rec: DirRecord,
  ino: number,
  fileType: number,
): Promise<Inode> {
  if (isInline(dir)) return rebuild(ctx, dir, { name: encodeName(rec.name), ino, fileType }, rec.name);
  const blocks = await dirBlocks(ctx.vol, dir);
  const pb = physicalOf(blocks, rec.lblock) as number;
  const buf = (await readDirBlock(ctx.vol, dir, blocks, rec.lblock))?.slice() as Uint8Array;
  dirEntry.patch({ inode: ino, file_type: fileType }, buf, rec.offset);
  await writeLeaf(ctx, dir, pb, buf);
  return dir;
}

/**
 * The inode of an inline directory with its inline entries dropped (i_block zeroed, system.data
 * removed from the in-inode attributes, other attributes kept), still flagged inline: the caller
 * gives it its new mapping and flags in one inode write.
 */
function withoutInlineData(vol: Volume, dir: Inode): Inode {
  const raw = dir.raw.slice();
  raw.fill(0, 0x28, 0x28 + 60);
  const kept: XattrItem[] = [];
  for (const [name, value] of ibodyXattrs(vol, dir)) {
    if (name === 'system.data') continue;
    const split = splitXattrName(name);
    if (split) kept.push({ index: split.index, name: encodeName(split.suffix), value });
  }
  const area = GOOD_OLD_INODE_SIZE + dir.extraSize;
  raw.fill(0, area, vol.inodeSize);
  if (kept.length > 0) writeInodeXattrs(raw, 0, vol.inodeSize, area, kept);
  return decodeInode(vol, dir.ino, raw);
}
