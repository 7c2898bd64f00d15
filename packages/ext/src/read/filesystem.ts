/**
 * The read side of an opened ext filesystem: path resolution (symlinks followed where asked, with
 * a hop limit), `stat`, sorted `list`, streamed `read` and `info`. The editor extends it.
 */
import { CorruptError, FsError, ReadOnlyError } from '@fstool/blockdev';
import {
  type Attributes,
  type CheckReport,
  compareNames,
  decodeName,
  type Entry,
  encodeName,
  type FileSystem,
  type FsInfo,
  IsDirectoryError,
  joinPath,
  NotDirectoryError,
  NotFoundError,
  normalizePath,
  splitPath,
} from '@fstool/fs';
import { decodeDevice, INO } from '../format/inode.js';
import { FileReader, inlineData } from './content.js';
import { isInline, lookup, readDir } from './dir.js';
import { fsInfo, fsType } from './info.js';
import { blockWords, type Inode, inodeKind, inodeTimes, readInode } from './inode.js';
import type { Volume } from './volume.js';
import { inodeXattrs } from './xattr.js';

/** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

/** A path resolved to its inode. */
export interface Resolved {
  path: string;
  inode: Inode;
}

export class ExtFileSystem implements FileSystem {
  readonly type: string;

  constructor(
    readonly vol: Volume,
    readonly writable: boolean,
  ) {
    this.type = fsType(vol);
  }

  get warnings(): readonly string[] {
    return this.vol.warnings;
  }

  async info(): Promise<FsInfo> {
    return fsInfo(this.vol, this.type);
  }

  async stat(path: string): Promise<Entry> {
    const r = await this.resolve(path, false);
    return this.entryOf(r.path, r.inode);
  }

  async list(path: string): Promise<Entry[]> {
    const r = await this.resolve(path, true);
    if (inodeKind(r.inode) !== 'dir') throw new NotDirectoryError(r.path);
    const records = (await readDir(this.vol, r.inode)).filter((d) => d.name !== '.' && d.name !== '..');
    records.sort((a, b) => compareNames(a.name, b.name));
    const out: Entry[] = [];
    for (const d of records) out.push(await this.entryOf(joinPath(r.path, d.name), await readInode(this.vol, d.ino)));
    return out;
  }

  async *read(path: string): AsyncIterable<Uint8Array> {
    const r = await this.resolve(path, true);
    const kind = inodeKind(r.inode);
    if (kind === 'dir') throw new IsDirectoryError(r.path);
    if (kind !== 'file') throw new FsError('EINVAL', `${r.path}: not a regular file (${kind})`);
    yield* new FileReader(this.vol, r.inode).chunks();
  }

  async add(_path: string, _entry: Entry): Promise<void> {
    throw this.readOnly();
  }

  async remove(_path: string, _opts?: { recursive?: boolean }): Promise<void> {
    throw this.readOnly();
  }

  async setAttributes(_path: string, _attrs: Attributes): Promise<void> {
    throw this.readOnly();
  }

  async rename(_from: string, _to: string): Promise<void> {
    throw this.readOnly();
  }

  async link(_existing: string, _newPath: string): Promise<void> {
    throw this.readOnly();
  }

  async check(): Promise<CheckReport> {
    return (await import('./check.js')).checkExt(this.vol); // only `fstool check` needs it
  }

  async close(): Promise<void> {
    await this.vol.dev.flush();
  }

  protected readOnly(): Error {
    const why = this.vol.readOnlyReason();
    return why ? new ReadOnlyError(`filesystem (${why})`) : new ReadOnlyError('filesystem (opened read-only)');
  }

  /**
   * Resolves a path to its inode. Symlinks in the middle are always followed; the last one only
   * when `followLast`. The returned path is the canonical one (after symlinks).
   */
  async resolve(path: string, followLast: boolean): Promise<Resolved> {
    const todo = splitPath(path);
    let cur = await readInode(this.vol, INO.root);
    let curPath = '/';
    let hops = 0;
    // The directories on `curPath`, root first: '..' steps back along it. A directory has one
    // parent, so one met twice on the way down is a loop (a hostile image's entry pointing at an
    // ancestor): each trip round it would make the path longer and every later lookup slower.
    const chain = [cur];
    while (todo.length > 0) {
      const name = todo.shift() as string;
      if (inodeKind(cur) !== 'dir') throw new NotDirectoryError(curPath);
      if (name === '..') {
        curPath = normalizePath(`${curPath}/..`);
        if (chain.length > 1) chain.pop();
        cur = chain[chain.length - 1] as Inode;
        continue;
      }
      const hit = await lookup(this.vol, cur, name);
      if (!hit) throw new NotFoundError(joinPath(curPath, [name, ...todo].join('/')));
      const child = await readInode(this.vol, hit.ino);
      if (inodeKind(child) === 'symlink' && (todo.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINKS) throw new FsError('ELOOP', `${path}: too many levels of symbolic links`);
        const target = await this.symlinkTarget(child);
        todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        if (target.startsWith('/')) {
          chain.length = 1;
          cur = chain[0] as Inode;
          curPath = '/';
        }
        continue;
      }
      if (inodeKind(child) === 'dir') {
        if (chain.some((d) => d.ino === child.ino)) {
          throw new CorruptError(
            `ext: directory loop: ${joinPath(curPath, name)} is directory inode ${child.ino}, already an ancestor`,
          );
        }
        chain.push(child);
      }
      cur = child;
      curPath = joinPath(curPath, name);
    }
    return { path: curPath, inode: cur };
  }

  /** A symlink's target: in i_block (fast), inline data, or its data block. */
  async symlinkTarget(inode: Inode): Promise<string> {
    const size = inode.base.i_size;
    if (size > this.vol.blockSize || size > 4096)
      throw new CorruptError(`ext: symlink inode ${inode.ino} has size ${size}`);
    if (isInline(inode)) return decodeName(inlineData(this.vol, inode));
    // e2fsprogs' rule: any non-inline target shorter than i_block lives in i_block.
    if (size < 60) return decodeName(inode.raw.subarray(0x28, 0x28 + size));
    const buf = new Uint8Array(size);
    await new FileReader(this.vol, inode).read(0, buf);
    return decodeName(buf);
  }

  /** The Entry for an inode at `path` (files get a lazy `open()`). */
  async entryOf(path: string, inode: Inode): Promise<Entry> {
    const kind = inodeKind(inode);
    const b = inode.base;
    const e: Entry = {
      path,
      kind,
      mode: b.i_mode & 0o7777,
      uid: b.i_uid,
      gid: b.i_gid,
      size: kind === 'file' || kind === 'dir' ? b.i_size : 0,
      nlink: b.i_links_count,
      ino: inode.ino,
      ...inodeTimes(inode),
    };
    if (kind === 'symlink') {
      e.target = await this.symlinkTarget(inode);
      e.size = encodeName(e.target).length;
    }
    if (kind === 'char' || kind === 'block') {
      const w = blockWords(inode);
      e.rdev = decodeDevice(w[0] as number, w[1] as number);
    }
    if (kind !== 'dir' && b.i_links_count > 1) e.linkId = `ino:${inode.ino}`;
    const xattrs = await inodeXattrs(this.vol, inode);
    if (xattrs.size > 0) e.xattrs = xattrs;
    if (kind === 'file') {
      const reader = new FileReader(this.vol, inode);
      e.open = () => reader.source();
    }
    return e;
  }
}
