/**
 * The in-place editor: `add` (files, directories, symlinks, nodes; replacing non-directories),
 * `remove` (recursive for directories) and `mkdirp`, on top of the reader.
 *
 * Order of writes, so that a crash leaves at worst leaked blocks or inodes: space is checked
 * first; blocks and the inode are taken in memory; data and mapping blocks are written; bitmaps,
 * descriptors and superblock go out; then the inode; then the directory entry (a replace swaps
 * the entry's inode number in one block write). Removal runs the other way: unlink, then free.
 */
import { FsError, InvalidArgumentError } from '@fstool/blockdev';
import {
  type Attributes,
  basename,
  checkName,
  dirname,
  type Entry,
  ExistsError,
  encodeName,
  InvalidPathError,
  IsDirectoryError,
  joinPath,
  NoSpaceError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  normalizePath,
  splitPath,
  typeBits,
} from '@fstool/fs';
import { FT } from '../format/dirent.js';
import { INO, INODE_FLAGS, inodeBase } from '../format/inode.js';
import { COMPAT, INCOMPAT, RO_COMPAT, STATE, superblock } from '../format/superblock.js';
import { FAST_SYMLINK_MAX, LINK_MAX, type XattrBlockPlan } from '../plan/plan.js';
import { splitXattrs } from '../plan/xattrs.js';
import { type DirRecord, dirBlockCount, lookup, readDir, sameBytes } from '../read/dir.js';
import { ExtFileSystem, type Resolved } from '../read/filesystem.js';
import { decodeInode, type Inode, inodeKind, inodeLocation, readInode } from '../read/inode.js';
import type { Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';
import { deviceIblock, encodeInode, fastSymlinkIblock } from '../write/inode.js';
import { xattrBlock as xattrBlockBytes } from '../write/xattr.js';
import { Allocator, type Extent } from './alloc.js';
import { blockList, dirInsert, dirRemove, dirRepoint, type EditContext, firstDirBlock, NameIndex } from './dir-edit.js';
import { setDotDot } from './dotdot.js';
import { writeFileData } from './file-write.js';
import { setTime, writeInode } from './inode-write.js';
import { JournalLog } from './journal.js';
import { buildMapping, mappingBlocks, worstMappingBlocks } from './mapping-write.js';
import { releaseInode } from './release.js';
import { checkRemovableTree } from './remove-plan.js';
import { type TxDevice, writeFresh } from './tx-device.js';

/** Deepest directory nesting `remove` follows (a loop in a corrupt tree ends here). */
const MAX_DEPTH = 4096;

const FILE_TYPES = {
  file: FT.file,
  dir: FT.dir,
  char: FT.char,
  block: FT.block,
  fifo: FT.fifo,
  socket: FT.socket,
  symlink: FT.symlink,
};

export class ExtEditor extends ExtFileSystem {
  private readonly alloc: Allocator;
  /** Inodes created in this session by linkId, so later entries of a hard-link group link to them. */
  private readonly links = new Map<string, number>();
  private readonly fixedNow: number | undefined;
  private readonly hints = new Map<number, number>();
  private readonly names = new NameIndex();
  private chain: Promise<unknown> = Promise.resolve();
  /** s_state before this session's first edit (undefined: nothing edited yet). */
  private cleanState: number | undefined;
  /** Open `batch` calls: while any is open, operations share journal transactions. */
  private batches = 0;
  /**
   * Directories resolved or made in this session, by the path asked for: adding a tree finds each
   * entry's parent without walking from the root. Forgotten when anything is removed, renamed or
   * replaced (a path may then name something else). `inode` is the last one decoded, reused while
   * its bytes still match the inode table (adding files to one directory decodes it once).
   */
  private readonly dirs = new Map<string, { path: string; ino: number; inode?: Inode }>();

  private constructor(
    vol: Volume,
    now: number | undefined,
    private readonly tx: TxDevice | undefined,
  ) {
    super(vol, true);
    this.alloc = new Allocator(vol, tx?.journalled ? 'journal' : vol.metadataCsum ? 'shadow' : 'inplace');
    if (tx?.journalled) {
      const alloc = this.alloc;
      tx.deferred = {
        get blocks() {
          return alloc.pendingBlocks;
        },
        write: () => alloc.writeBack(tx.now),
      };
    }
    this.fixedNow = now;
  }

  /**
   * The editor over `vol`, opened on `tx`: with an internal journal each operation becomes one
   * JBD2 transaction; without one (or with `tx` undefined) writes go straight to the device.
   */
  static async start(vol: Volume, tx: TxDevice | undefined, now?: number): Promise<ExtEditor> {
    if (tx) {
      const log = await JournalLog.open(vol, tx.inner);
      if (log) tx.attach(log, vol.blockSize);
    }
    return new ExtEditor(vol, now, tx);
  }

  /**
   * Runs `fn`, then journals and checkpoints its metadata writes (also when it failed). Inside a
   * batch the commit waits for later operations until the transaction is half full; blocks freed
   * meanwhile stay pinned (see Allocator.pin) until it is committed.
   */
  private async transaction<T>(now: number, fn: () => Promise<T>): Promise<T> {
    const tx = this.tx;
    if (!tx) return fn();
    tx.now = now;
    const batched = this.batches > 0 && tx.journalled;
    // Pinned blocks come back with a commit: take it before they are a large part of the free space.
    if (batched && this.alloc.pinnedCount * 8 > this.alloc.freeBlocks()) await this.commit(tx);
    if (batched) this.alloc.pin();
    let out: T;
    try {
      out = await fn();
    } catch (err) {
      await this.commit(tx).catch(() => undefined);
      throw err;
    }
    if (!batched || tx.halfFull) await this.commit(tx);
    return out;
  }

  private async commit(tx: TxDevice): Promise<void> {
    await tx.commit();
    this.alloc.unpin();
  }

  private ctx(): EditContext {
    const now = this.fixedNow ?? Math.floor(Date.now() / 1000);
    return { vol: this.vol, alloc: this.alloc, now, hints: this.hints, names: this.names };
  }

  /**
   * Runs edits one at a time (they share the allocator and directory blocks). The first one
   * marks the filesystem not clean, so an interrupted session gets checked; `close` marks it
   * clean again.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = () =>
      this.transaction(this.ctx().now, async () => {
        if (this.cleanState === undefined) {
          this.cleanState = superblock.get(this.vol.sbRaw, 0, 's_state');
          superblock.set(this.vol.sbRaw, 0, 's_state', this.cleanState & ~STATE.valid);
          await this.alloc.writeSuperblock(this.ctx().now);
        }
        return fn().catch((err: unknown) => {
          // A failed edit may have made a directory it never linked: forget every remembered one.
          this.dirs.clear();
          throw err;
        });
      });
    const run = this.chain.then(guarded, guarded);
    this.chain = run.catch(() => undefined);
    return run;
  }

  override add(path: string, entry: Entry): Promise<void> {
    return this.serial(() => this.addNow(path, entry));
  }

  override remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.serial(() => this.removeNow(path, opts));
  }

  /**
   * Runs `fn` with its operations grouped into shared journal transactions (each still holds
   * whole operations, so a cut loses the operations of the open transaction and damages nothing);
   * the last one commits when `fn` ends.
   */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    this.batches++;
    try {
      return await fn();
    } finally {
      this.batches--;
      if (this.batches === 0 && this.tx) {
        const tx = this.tx;
        const run = this.chain.then(() => this.commit(tx));
        this.chain = run.catch(() => undefined);
        await run;
      }
    }
  }

  override setAttributes(path: string, attrs: Attributes): Promise<void> {
    return this.serial(async () => {
      const inode = (await this.resolve(normalizePath(path), false)).inode;
      const raw = inode.raw.slice();
      const mode =
        attrs.mode === undefined ? inode.base.i_mode : (inode.base.i_mode & 0o170000) | (attrs.mode & 0o7777);
      inodeBase.patch(
        { i_mode: mode, i_uid: attrs.uid ?? inode.base.i_uid, i_gid: attrs.gid ?? inode.base.i_gid },
        raw,
      );
      if (attrs.mtime !== undefined) setTime(this.vol, raw, 'mtime', attrs.mtime, attrs.mtimeNsec ?? 0);
      if (attrs.atime !== undefined) setTime(this.vol, raw, 'atime', attrs.atime, attrs.atimeNsec ?? 0);
      setTime(this.vol, raw, 'ctime', this.ctx().now);
      await writeInode(this.vol, inode.ino, raw);
    });
  }

  override link(existing: string, newPath: string): Promise<void> {
    return this.serial(async () => {
      const ctx = this.ctx();
      const target = (await this.resolve(normalizePath(existing), false)).inode;
      if (inodeKind(target) === 'dir') throw new IsDirectoryError(existing);
      if (target.base.i_links_count >= LINK_MAX) throw new FsError('EMLINK', `${existing}: too many links`);
      const { parent, name, rec } = await this.slot(newPath);
      if (rec) throw new ExistsError(normalizePath(newPath));
      await this.checkSpace(0, 0, parent);
      // The count goes up before the new name exists: a crash between leaves a count one too high.
      await this.writeRaw(ctx, target, { i_links_count: target.base.i_links_count + 1 }, ['ctime']);
      const dir = await dirInsert(ctx, parent, {
        name: encodeName(name),
        ino: target.ino,
        fileType: this.fileType(target),
      });
      await this.alloc.flush(ctx.now);
      await this.writeRaw(ctx, dir, {}, ['mtime', 'ctime']);
    });
  }

  override rename(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      this.dirs.clear();
      const ctx = this.ctx();
      const p = normalizePath(from);
      const q = normalizePath(to);
      if (p === '/' || q === '/') throw new InvalidPathError(p === '/' ? p : q, 'the root cannot be renamed');
      if (q.startsWith(`${p}/`)) throw new InvalidPathError(q, `cannot move ${p} below itself`);
      if (p === q) return;
      const src = await this.slot(p);
      if (!src.rec) throw new NotFoundError(p);
      const moved = await readInode(this.vol, src.rec.ino);
      const isDir = inodeKind(moved) === 'dir';
      const dst = await this.slot(q);
      const old = dst.rec ? await readInode(this.vol, dst.rec.ino) : undefined;
      if (old && inodeKind(old) === 'dir') throw new IsDirectoryError(q);
      if (old && isDir) throw new NotDirectoryError(q);
      if (old?.ino === moved.ino) return;
      await this.checkSpace(0, 0, dst.parent);
      const fileType = this.fileType(moved);
      // The new name first, then the old one goes: a crash between leaves two names, never none.
      let dstDir = dst.rec
        ? await dirRepoint(ctx, dst.parent, dst.rec, moved.ino, fileType)
        : await dirInsert(ctx, dst.parent, { name: encodeName(dst.name), ino: moved.ino, fileType });
      await this.alloc.flush(ctx.now);
      const sameDir = dst.parent.ino === src.parent.ino;
      const srcDir = sameDir ? dstDir : await readInode(this.vol, src.parent.ino);
      const rec = await lookup(this.vol, srcDir, src.name);
      if (!rec) throw new NotFoundError(p);
      let after = await dirRemove(ctx, srcDir, rec);
      if (sameDir) dstDir = after;
      if (isDir && !sameDir) {
        await setDotDot(this.vol, moved, dstDir.ino);
        dstDir = await this.writeRaw(ctx, dstDir, { i_links_count: this.dirLinks(dstDir.base.i_links_count, +1) }, [
          'mtime',
          'ctime',
        ]);
        after = await this.writeRaw(ctx, after, { i_links_count: this.dirLinks(after.base.i_links_count, -1) }, [
          'mtime',
          'ctime',
        ]);
      } else {
        await this.writeRaw(ctx, dstDir, {}, ['mtime', 'ctime']);
        if (!sameDir) await this.writeRaw(ctx, after, {}, ['mtime', 'ctime']);
      }
      await this.writeRaw(ctx, await readInode(this.vol, moved.ino), {}, ['ctime']);
      if (old) await releaseInode(ctx, old, false);
      await this.alloc.flush(ctx.now);
    });
  }

  /** The parent directory of `path`, its last name, and the entry of that name if there is one. */
  private async slot(path: string): Promise<{ parent: Inode; name: string; rec: DirRecord | undefined }> {
    const p = normalizePath(path);
    const name = basename(p);
    checkName(name, p);
    const parent = await this.resolve(dirname(p), true);
    if (inodeKind(parent.inode) !== 'dir') throw new NotDirectoryError(parent.path);
    return { parent: parent.inode, name, rec: await lookup(this.vol, parent.inode, name) };
  }

  private fileType(inode: Inode): number {
    return this.vol.hasIncompat(INCOMPAT.filetype) ? FILE_TYPES[inodeKind(inode)] : 0;
  }

  /** Creates every missing directory of `path` (like mkdir -p), with `attrs` for the new ones. */
  mkdirp(path: string, attrs: Partial<Entry> = {}): Promise<void> {
    return this.serial(() => this.mkdirpNow(path, attrs));
  }

  override close(): Promise<void> {
    const run = this.chain.then(async () => {
      const now = this.ctx().now;
      await this.transaction(now, async () => {
        await this.alloc.flush(now);
        if (this.cleanState !== undefined) {
          superblock.set(this.vol.sbRaw, 0, 's_state', this.cleanState);
          this.cleanState = undefined;
          await this.alloc.writeSuperblock(now);
        }
      });
      await super.close();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async addNow(path: string, entry: Entry): Promise<void> {
    const p = normalizePath(path);
    const ctx = this.ctx();
    if (p === '/') {
      if (entry.kind !== 'dir') throw new InvalidPathError(p, 'the root can only be a directory');
      await this.applyDirAttrs(ctx, await readInode(this.vol, 2), entry);
      return;
    }
    const name = basename(p);
    checkName(name, p);
    const parent = await this.resolveDir(dirname(p));
    const bytes = encodeName(name);
    const existing = this.names.mayHave(parent.inode.ino, bytes)
      ? await lookup(this.vol, parent.inode, name)
      : undefined;
    const old = existing ? await readInode(this.vol, existing.ino) : undefined;
    if (old && inodeKind(old) === 'dir') {
      if (entry.kind !== 'dir') throw new IsDirectoryError(p);
      await this.applyDirAttrs(ctx, old, entry);
      return;
    }
    const linked = entry.linkId !== undefined && entry.kind !== 'dir' ? this.links.get(entry.linkId) : undefined;
    let ino: number;
    if (linked !== undefined && linked !== old?.ino) {
      const target = await readInode(this.vol, linked);
      if (target.base.i_links_count >= LINK_MAX) throw new FsError('EMLINK', `${p}: too many links`);
      await this.checkSpace(0, 0, parent.inode);
      await this.writeRaw(ctx, target, { i_links_count: target.base.i_links_count + 1 }, ['ctime']);
      ino = linked;
    } else if (entry.kind === 'dir') {
      ino = await this.createDir(ctx, entry, parent, p);
      this.rememberDir(p, { path: joinPath(parent.path, name), ino });
    } else {
      ino = await this.create(ctx, entry, parent.inode, p);
      if (entry.linkId !== undefined) this.links.set(entry.linkId, ino);
    }
    const fileType = this.vol.hasIncompat(INCOMPAT.filetype) ? FILE_TYPES[entry.kind] : 0;
    let dir = parent.inode;
    if (existing && old) {
      this.dirs.clear();
      dir = await dirRepoint(ctx, dir, existing, ino, fileType);
    } else {
      dir = await dirInsert(ctx, dir, { name: bytes, ino, fileType });
    }
    await this.alloc.flush(ctx.now);
    const known = this.dirs.get(dirname(p));
    const written = await this.writeRaw(ctx, dir, {}, ['mtime', 'ctime']);
    if (known?.ino === written.ino) known.inode = written;
    if (old) await releaseInode(ctx, old, false);
    await this.alloc.flush(ctx.now);
  }

  /**
   * A new directory: the parent's link count goes up first, since the new block's `..` counts as a
   * link to it; a crash before the entry lands then leaves an unconnected directory and a count
   * too high (leaks), never a count too low. `parent.inode` is updated to what was written.
   */
  private async createDir(ctx: EditContext, entry: Entry, parent: { inode: Inode }, p: string): Promise<number> {
    const before = parent.inode;
    const links = this.dirLinks(before.base.i_links_count, +1);
    parent.inode = await this.writeRaw(ctx, before, { i_links_count: links }, []);
    try {
      const ino = await this.create(ctx, entry, parent.inode, p);
      this.names.made(ino);
      return ino;
    } catch (err) {
      // Undo the count (a failed mkdir leaks nothing); when the device itself is failing, its error is the one to report.
      const undo = { i_links_count: before.base.i_links_count };
      parent.inode = await this.writeRaw(ctx, parent.inode, undo, []).catch(() => parent.inode);
      throw err;
    }
  }

  /** The directory at `path` (symlinks followed), through `dirs`. */
  private async resolveDir(path: string): Promise<Resolved> {
    const known = this.dirs.get(path);
    if (known) {
      const kept = known.inode;
      if (!kept || !(await this.current(kept))) known.inode = await readInode(this.vol, known.ino);
      return { path: known.path, inode: known.inode as Inode };
    }
    const r = await this.resolve(path, true);
    if (inodeKind(r.inode) !== 'dir') throw new NotDirectoryError(r.path);
    this.rememberDir(path, { path: r.path, ino: r.inode.ino });
    return r;
  }

  /** True when `inode`'s bytes are still those in the inode table (so its decoding still holds). */
  private async current(inode: Inode): Promise<boolean> {
    const { block, offset, ahead } = inodeLocation(this.vol, inode.ino);
    const buf = await this.vol.block(block, ahead);
    return sameBytes(buf.subarray(offset, offset + this.vol.inodeSize), inode.raw);
  }

  private rememberDir(path: string, dir: { path: string; ino: number; inode?: Inode }): void {
    // Bounded: a huge tree's directories are not all kept.
    if (this.dirs.size >= 65_536) this.dirs.clear();
    this.dirs.set(path, dir);
  }

  private async removeNow(path: string, opts: { recursive?: boolean }): Promise<void> {
    const p = normalizePath(path);
    this.dirs.clear();
    if (p === '/') throw new InvalidPathError(p, 'the root cannot be removed');
    const ctx = this.ctx();
    const parent = await this.resolve(dirname(p), true);
    if (inodeKind(parent.inode) !== 'dir') throw new NotDirectoryError(parent.path);
    const rec = await lookup(this.vol, parent.inode, basename(p));
    if (rec && opts.recursive) {
      const top = await readInode(this.vol, rec.ino);
      if (inodeKind(top) === 'dir') await checkRemovableTree(this.vol, p, top, MAX_DEPTH);
    }
    await this.removeAt(ctx, parent.path, parent.inode, basename(p), opts.recursive ?? false, 0, new Set());
    await this.alloc.flush(ctx.now);
  }

  private async mkdirpNow(path: string, attrs: Partial<Entry>): Promise<void> {
    let cur = '/';
    for (const part of splitPath(path)) {
      cur = cur === '/' ? `/${part}` : `${cur}/${part}`;
      try {
        const e = await this.stat(cur);
        if (e.kind !== 'dir') throw new NotDirectoryError(cur);
        continue;
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
      const now = this.ctx().now;
      await this.addNow(cur, { mode: 0o755, uid: 0, gid: 0, mtime: now, size: 0, ...attrs, path: cur, kind: 'dir' });
    }
  }

  private dirLinks(links: number, delta: number): number {
    const n = links + delta;
    if (links === 1 && this.vol.hasRoCompat(RO_COMPAT.dir_nlink)) return 1;
    if (n >= LINK_MAX) {
      if (!this.vol.hasRoCompat(RO_COMPAT.dir_nlink)) throw new FsError('EMLINK', 'too many subdirectories');
      return 1;
    }
    return Math.max(n, 2);
  }

  /**
   * Patches base fields and stamps the named times with `now`, then writes the inode. Bytes that
   * come out unchanged are not written (a directory filled within one second keeps its times).
   */
  private async writeRaw(
    ctx: EditContext,
    inode: Inode,
    patch: Parameters<typeof inodeBase.patch>[0],
    times: Array<'mtime' | 'ctime'>,
  ): Promise<Inode> {
    const raw = inode.raw.slice();
    inodeBase.patch(patch, raw);
    for (const t of times) setTime(this.vol, raw, t, ctx.now);
    if (sameBytes(raw, inode.raw)) return inode;
    await writeInode(this.vol, inode.ino, raw);
    return decodeInode(this.vol, inode.ino, raw);
  }

  /** mode/owner/times of an existing directory from an entry (add onto a directory). */
  private async applyDirAttrs(ctx: EditContext, inode: Inode, e: Entry): Promise<void> {
    const raw = inode.raw.slice();
    inodeBase.patch({ i_mode: (inode.base.i_mode & 0o170000) | (e.mode & 0o7777), i_uid: e.uid, i_gid: e.gid }, raw);
    setTime(this.vol, raw, 'mtime', e.mtime, e.mtimeNsec ?? 0);
    setTime(this.vol, raw, 'ctime', ctx.now);
    await writeInode(this.vol, inode.ino, raw);
  }

  /**
   * Fails with NoSpaceError before anything is written when the worst case does not fit: the
   * data, its mapping, and rebuilding the parent directory once.
   */
  private async checkSpace(dataBlocks: number, inodes: number, parent: Inode): Promise<void> {
    const vol = this.vol;
    if (inodes > 0 && this.alloc.freeInodes() < inodes) throw new NoSpaceError('ext: no free inodes');
    const extents = vol.hasIncompat(INCOMPAT.extent);
    const dirData = dirBlockCount(vol, parent) + 1;
    const need =
      dataBlocks +
      worstMappingBlocks(vol, extents ? Math.min(dataBlocks, 100_000) : dataBlocks, extents) +
      dirData +
      worstMappingBlocks(vol, Math.min(dirData, 100_000), extents && (parent.base.i_flags & INODE_FLAGS.extents) !== 0);
    const free = this.alloc.freeBlocks();
    if (need > free) throw new NoSpaceError(`ext: ${need} blocks may be needed, ${free} free`);
  }

  /** Allocates and writes a new inode for `e` (not yet linked); returns its number. */
  private async create(ctx: EditContext, e: Entry, parent: Inode, path: string): Promise<number> {
    const vol = this.vol;
    const bs = vol.blockSize;
    const extents = vol.hasIncompat(INCOMPAT.extent);
    let content: Uint8Array | undefined;
    let size = 0;
    if (e.kind === 'symlink') {
      if (e.target === undefined) throw new InvalidArgumentError(`${path}: symlink without a target`);
      content = encodeName(e.target);
      if (content.length === 0 || content.length >= bs)
        throw new InvalidArgumentError(`${path}: symlink target length ${content.length} is not allowed`);
      size = content.length;
    } else if (e.kind === 'file') {
      size = e.size;
      if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`${path}: bad size ${size}`);
      if (size > 0 && !e.open) throw new InvalidArgumentError(`${path}: file of ${size} bytes without contents`);
    }
    const fast = e.kind === 'symlink' && size <= FAST_SYMLINK_MAX;
    const dataBlocks =
      e.kind === 'dir' ? 1 : e.kind === 'file' || (e.kind === 'symlink' && !fast) ? Math.ceil(size / bs) : 0;
    let xattrs: ReturnType<typeof splitXattrs> | undefined;
    if (e.xattrs && e.xattrs.size > 0) {
      if (vol.hasCompat(COMPAT.ext_attr)) {
        xattrs = splitXattrs(path, e.xattrs, vol.inodeSize, bs, (m) => vol.warn(m));
      } else vol.warn(`${path}: extended attributes dropped (ext_attr is off)`);
    }
    const xattrBlocks = xattrs && xattrs.block.length > 0 ? 1 : 0;
    await this.checkSpace(dataBlocks + xattrBlocks, 1, parent);

    const isDir = e.kind === 'dir';
    const goalGroup = this.alloc.groupOf(parent.ino);
    const ino = await this.alloc.allocInode(isDir, goalGroup, parent.ino === INO.root);
    const taken: Extent[] = [];
    const goal = vol.groupStart(this.alloc.groupOf(ino));
    try {
      let runs: Run[] = [];
      let iblock: Uint8Array = new Uint8Array(60);
      let flags = 0;
      if (e.kind === 'file' && size > 0) {
        const src = (e.open as NonNullable<Entry['open']>)();
        try {
          runs = await writeFileData(vol, this.alloc, src, size, goal, taken);
        } finally {
          await src.close();
        }
      } else if (isDir || (e.kind === 'symlink' && !fast)) {
        const got = await this.alloc.allocBlocks(1, goal);
        taken.push(...got);
        const b = (got[0] as Extent).start;
        const block = isDir ? firstDirBlock(vol, ino, parent.ino) : new Uint8Array(bs);
        if (!isDir) block.set(content as Uint8Array);
        await writeFresh(vol, b, block);
        runs = [{ logical: 0, physical: b, length: 1, unwritten: false }];
        if (isDir) size = bs;
      }
      let meta = 0;
      if (runs.length > 0 || ((e.kind === 'file' || isDir) && extents)) {
        meta = mappingBlocks(vol, runs, extents);
        const metaExts = await this.alloc.allocBlocks(meta, goal);
        taken.push(...metaExts);
        iblock = await buildMapping(vol, ino, 0, runs, extents, blockList(metaExts));
        if (extents) flags |= INODE_FLAGS.extents;
      }
      if (fast) iblock = fastSymlinkIblock(content as Uint8Array);
      if (e.kind === 'char' || e.kind === 'block') iblock = deviceIblock(e.rdev?.major ?? 0, e.rdev?.minor ?? 0);
      let xattrBlock: XattrBlockPlan | undefined;
      if (xattrs && xattrBlocks > 0) {
        const got = await this.alloc.allocBlocks(1, goal);
        taken.push(...got);
        xattrBlock = { block: (got[0] as Extent).start, items: xattrs.block, refcount: 1 };
        const seed = vol.metadataCsum ? vol.csumSeed : undefined;
        await writeFresh(vol, xattrBlock.block, xattrBlockBytes(xattrs.block, 1, xattrBlock.block, bs, seed));
      }
      const data = runs.reduce((s, r) => s + r.length, 0);
      const raw = new Uint8Array(vol.inodeSize);
      encodeInode(raw, 0, vol.inodeSize, bs, {
        pi: {
          ino,
          kind: e.kind,
          links: isDir ? 2 : 1,
          size,
          extents: [],
          mapBlocks: [],
          blockCount: data + meta + xattrBlocks,
          ...(xattrs?.inInode.length ? { xattrsInInode: xattrs.inInode } : {}),
          ...(xattrBlock ? { xattrBlock } : {}),
        },
        entry: e,
        // The creation time is this inode's, not the source's.
        crtime: ctx.now,
        typeBits: typeBits(e.kind),
        iblock,
        flags,
        seed: undefined,
      });
      // Allocation reaches the disk before anything points at it.
      await this.alloc.flush(ctx.now);
      await writeInode(vol, ino, raw);
      return ino;
    } catch (err) {
      // Nothing refers to what was taken yet: give it back.
      await this.alloc.loadFor(taken);
      for (const t of taken) this.alloc.freeBlocksRun(t.start, t.len);
      await this.alloc.freeInode(ino, isDir);
      throw err;
    }
  }

  private async removeAt(
    ctx: EditContext,
    parentPath: string,
    parentIn: Inode,
    name: string,
    recursive: boolean,
    depth: number,
    seen: Set<number>,
  ): Promise<void> {
    const path = parentPath === '/' ? `/${name}` : `${parentPath}/${name}`;
    if (depth > MAX_DEPTH) throw new FsError('CORRUPT', `${path}: directories nested deeper than ${MAX_DEPTH}`);
    const rec = await lookup(this.vol, parentIn, name);
    if (!rec) throw new NotFoundError(path);
    const inode = await readInode(this.vol, rec.ino);
    const isDir = inodeKind(inode) === 'dir';
    if (isDir) {
      if (seen.has(inode.ino)) throw new FsError('CORRUPT', `${path}: directory loop (inode ${inode.ino})`);
      seen.add(inode.ino);
      const children = (await readDir(this.vol, inode)).filter((r) => r.name !== '.' && r.name !== '..');
      if (children.length > 0 && !recursive) throw new NotEmptyError(path);
      for (const c of children)
        await this.removeAt(ctx, path, await readInode(this.vol, inode.ino), c.name, true, depth + 1, seen);
    }
    const parent = await dirRemove(ctx, await readInode(this.vol, parentIn.ino), rec);
    // The unlinked inode is marked deleted next: a crash after that leaves only leaks.
    await releaseInode(ctx, await readInode(this.vol, inode.ino), isDir);
    const links = isDir ? this.dirLinks(parent.base.i_links_count, -1) : parent.base.i_links_count;
    await this.writeRaw(ctx, parent, { i_links_count: links }, ['mtime', 'ctime']);
    await this.alloc.flush(ctx.now);
  }
}
