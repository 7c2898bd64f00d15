import { type BigIntStats, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry, SourceTree } from '../entry.js';
import { NotDirectoryError, NotFoundError, UnsupportedError } from '../errors.js';
import { kindFromMode } from '../mode.js';
import { compareNames } from '../path.js';
import { hostError } from './errors.js';
import { hostFileSource } from './host-content.js';
import { type XattrPolicy, xattrReader } from './xattrs.js';

export interface ScanOptions {
  /** Host xattrs to copy (default 'user'; see XattrPolicy for why not 'all'). */
  xattrs?: XattrPolicy;
  /** Do not descend into directories on another filesystem than `dir` (they appear empty). */
  oneFileSystem?: boolean;
  /** Called every few thousand entries and at the end with the count so far. */
  onProgress?: (entries: number) => void;
}

const NS = 1_000_000_000n;
/** Entries between yields to the event loop, so progress output can paint. */
const YIELD_EVERY = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whole seconds (floored) and nanoseconds 0..999999999 of a bigint nanosecond time. */
function splitNs(ns: bigint): [number, number] {
  let s = ns / NS;
  let n = ns % NS;
  if (n < 0n) {
    s -= 1n;
    n += NS;
  }
  return [Number(s), Number(n)];
}

/** Linux dev_t: major in bits 8..19 and 32..43, minor in bits 0..7 and 20..31. */
function splitRdev(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** Children of a host directory sorted by UTF-8 bytes; names that are not UTF-8 are refused. */
function sortedNames(abs: string): string[] {
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (e) {
    throw hostError(e, abs, 'list it');
  }
  // Node replaces bytes that are not UTF-8 by U+FFFD; look closer only then (rare).
  if (names.some((n) => n.includes('\uFFFD'))) {
    for (const raw of readdirSync(abs, { encoding: 'buffer' })) {
      try {
        utf8.decode(raw);
      } catch {
        throw new UnsupportedError(
          `${join(abs, raw.toString('latin1'))}: file name is not valid UTF-8 (bytes ${raw.toString('hex')})`,
        );
      }
    }
  }
  return names.sort(compareNames);
}

/**
 * Scans a host directory into a SourceTree without following symlinks (only `dir` itself is
 * followed when it is one). Synchronous calls throughout: an lstat per entry is needed anyway and
 * sync calls are several times faster than async ones (STACK.md §2.9). File contents are never
 * read here: each file entry's `open()` reads them later. Each `entries()` call scans afresh.
 */
export function scanDirectory(dir: string, opts: ScanOptions = {}): SourceTree {
  const readXattrs = xattrReader(opts.xattrs ?? 'user');
  return {
    async *entries() {
      let rootSt: BigIntStats;
      try {
        rootSt = statSync(dir, { bigint: true });
      } catch (e) {
        throw hostError(e, dir, 'scan it');
      }
      if (!rootSt.isDirectory()) throw new NotDirectoryError(dir);
      const links = new Map<string, string>();
      let count = 0;
      const toEntry = (abs: string, path: string, st: BigIntStats): Entry => {
        const mode = Number(st.mode);
        const kind = kindFromMode(mode);
        if (!kind) throw new UnsupportedError(`${abs}: unknown file type (mode ${mode.toString(8)})`);
        const [mtime, mtimeNsec] = splitNs(st.mtimeNs);
        const [atime, atimeNsec] = splitNs(st.atimeNs);
        const [ctime, ctimeNsec] = splitNs(st.ctimeNs);
        const e: Entry = {
          path,
          kind,
          mode: mode & 0o7777,
          uid: Number(st.uid),
          gid: Number(st.gid),
          mtime,
          mtimeNsec,
          atime,
          atimeNsec,
          ctime,
          ctimeNsec,
          size: 0,
          nlink: Number(st.nlink),
        };
        if (kind === 'file') {
          const size = Number(st.size);
          e.size = size;
          const sparse = st.blocks * 512n < st.size;
          e.open = () => hostFileSource(abs, size, sparse);
        } else if (kind === 'symlink') {
          let raw: Buffer;
          try {
            raw = readlinkSync(abs, { encoding: 'buffer' });
          } catch (err) {
            throw hostError(err, abs, 'read the link');
          }
          try {
            e.target = utf8.decode(raw);
          } catch {
            throw new UnsupportedError(`${abs}: symlink target is not valid UTF-8 (bytes ${raw.toString('hex')})`);
          }
          e.size = raw.length;
        } else if (kind === 'char' || kind === 'block') {
          e.rdev = splitRdev(st.rdev);
        }
        if (kind !== 'dir' && st.nlink > 1n) {
          // The group is named by its first path in tree order: the same on every host.
          const key = `${st.dev}:${st.ino}`;
          const first = links.get(key);
          if (first === undefined) links.set(key, path);
          e.linkId = first ?? path;
        }
        const xattrs = readXattrs?.(abs);
        if (xattrs) e.xattrs = xattrs;
        return e;
      };

      yield toEntry(dir, '/', rootSt);
      // Depth-first with an explicit stack: pending names per open directory.
      const stack: Array<{ abs: string; path: string; names: string[]; i: number }> = [
        { abs: dir, path: '', names: sortedNames(dir), i: 0 },
      ];
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const name = top.names[top.i++];
        if (name === undefined) {
          stack.pop();
          continue;
        }
        const abs = join(top.abs, name);
        const path = `${top.path}/${name}`;
        let st: BigIntStats | undefined;
        try {
          st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
        } catch (e) {
          throw hostError(e, abs, 'stat it');
        }
        if (!st) throw new NotFoundError(abs);
        yield toEntry(abs, path, st);
        if (st.isDirectory() && !(opts.oneFileSystem && st.dev !== rootSt.dev)) {
          stack.push({ abs, path, names: sortedNames(abs), i: 0 });
        }
        if (++count % YIELD_EVERY === 0) {
          opts.onProgress?.(count);
          await new Promise((r) => setImmediate(r));
        }
      }
      opts.onProgress?.(count);
    },
  };
}
