import { type BigIntStats, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry, SourceTree } from '../entry.js';
import { NotDirectoryError, NotFoundError } from '../errors.js';
import { decodeName, escapeName } from '../names.js';
import { compareNames } from '../path.js';
import { hostError } from './errors.js';
import { entryFromStats } from './host-entry.js';
import { hostPath } from './host-path.js';
import { type XattrPolicy, xattrReader } from './xattrs.js';

export interface ScanOptions {
  /** Host xattrs to copy (default 'default': user.*, trusted.*, security.*; see XattrPolicy). */
  xattrs?: XattrPolicy;
  /** Do not descend into directories on another filesystem than `dir` (they appear empty). */
  oneFileSystem?: boolean;
  /** Called every few thousand entries and at the end with the count so far. */
  onProgress?: (entries: number) => void;
}

/** Entries between yields to the event loop, so progress output can paint. */
const YIELD_EVERY = 4096;

/**
 * Children of a host directory sorted by their bytes. Names are bytes: one that is not UTF-8 keeps
 * them through decodeName's escapes (names.ts).
 */
function sortedNames(abs: string): string[] {
  let names: string[];
  try {
    names = readdirSync(hostPath(abs));
    // Node replaces bytes that are not UTF-8 by U+FFFD; read the bytes only then (rare).
    if (names.some((n) => n.includes('\uFFFD'))) {
      names = readdirSync(hostPath(abs), { encoding: 'buffer' }).map((raw) => decodeName(raw));
    }
  } catch (e) {
    throw hostError(e, escapeName(abs), 'list it');
  }
  return names.sort(compareNames);
}

/** Child paths are concatenated onto their directory's (cheaper than join() per entry). */
const withoutTrailingSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

/**
 * Scans a host directory into a SourceTree without following symlinks (only `dir` itself is
 * followed when it is one). Synchronous calls throughout: an lstat per entry is needed anyway and
 * sync calls are several times faster than async ones (STACK.md §2.9). File contents are never
 * read here: each file entry's `open()` reads them later. Each `entries()` call scans afresh.
 */
export function scanDirectory(dir: string, opts: ScanOptions = {}): SourceTree {
  const readXattrs = xattrReader(opts.xattrs ?? 'default');
  return {
    async *entries() {
      let rootSt: BigIntStats;
      try {
        rootSt = statSync(hostPath(dir), { bigint: true });
      } catch (e) {
        throw hostError(e, dir, 'scan it');
      }
      if (!rootSt.isDirectory()) throw new NotDirectoryError(dir);
      const links = new Map<string, string>();
      let count = 0;
      const toEntry = (abs: string, path: string, st: BigIntStats): Entry => {
        const e = entryFromStats(abs, path, st, readXattrs);
        if (e.kind !== 'dir' && st.nlink > 1n) {
          // The group is named by its first path in tree order: the same on every host.
          const key = `${st.dev}:${st.ino}`;
          const first = links.get(key);
          if (first === undefined) links.set(key, path);
          e.linkId = first ?? path;
        }
        return e;
      };

      yield toEntry(dir, '/', rootSt);
      // Depth-first with an explicit stack: pending names per open directory.
      const stack: Array<{ abs: string; path: string; names: string[]; i: number }> = [
        { abs: withoutTrailingSlash(join(dir)), path: '', names: sortedNames(dir), i: 0 },
      ];
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const name = top.names[top.i++];
        if (name === undefined) {
          stack.pop();
          continue;
        }
        const abs = top.abs === '/' ? `/${name}` : `${top.abs}/${name}`;
        const path = `${top.path}/${name}`;
        let st: BigIntStats | undefined;
        try {
          st = lstatSync(hostPath(abs), { bigint: true, throwIfNoEntry: false });
        } catch (e) {
          throw hostError(e, escapeName(abs), 'stat it');
        }
        if (!st) throw new NotFoundError(escapeName(abs));
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
