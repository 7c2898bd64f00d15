import { type BigIntStats, lstatSync, readlinkSync } from 'node:fs';
import type { Entry } from '../entry.js';
import { UnsupportedError } from '../errors.js';
import { kindFromMode } from '../mode.js';
import { decodeName, escapeName, isPlainName } from '../names.js';
import { normalizePath } from '../path.js';
import { hostError } from './errors.js';
import { hostFileSource } from './host-content.js';
import { hostPath } from './host-path.js';
import { type XattrPolicy, type XattrReader, xattrReader } from './xattrs.js';

const NS = 1_000_000_000n;

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

/**
 * The Entry for one host object from its bigint lstat: times with nanoseconds, device numbers,
 * symlink target, xattrs (through `readXattrs`) and lazy contents. Hard links are left to the caller.
 * `abs` may hold escaped bytes (names.ts); the xattr binding takes UTF-8 paths only, so an object
 * whose host path is not UTF-8 text gets no xattrs.
 */
export function entryFromStats(abs: string, path: string, st: BigIntStats, readXattrs?: XattrReader): Entry {
  const mode = Number(st.mode);
  const kind = kindFromMode(mode);
  if (!kind) throw new UnsupportedError(`${escapeName(abs)}: unknown file type (mode ${mode.toString(8)})`);
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
      raw = readlinkSync(hostPath(abs), { encoding: 'buffer' });
    } catch (err) {
      throw hostError(err, escapeName(abs), 'read the link');
    }
    e.target = decodeName(raw);
    e.size = raw.length;
  } else if (kind === 'char' || kind === 'block') {
    e.rdev = splitRdev(st.rdev);
  }
  const xattrs = isPlainName(abs) ? readXattrs?.(abs) : undefined;
  if (xattrs) e.xattrs = xattrs;
  return e;
}

/**
 * The Entry for one host path (not following a symlink), placed at `path` inside a tree; for
 * adding single host files to an image. `linkId` is not set.
 */
export function hostEntry(host: string, opts: { path?: string; xattrs?: XattrPolicy } = {}): Entry {
  let st: BigIntStats;
  try {
    st = lstatSync(hostPath(host), { bigint: true });
  } catch (e) {
    throw hostError(e, escapeName(host), 'stat it');
  }
  return entryFromStats(host, normalizePath(opts.path ?? '/'), st, xattrReader(opts.xattrs ?? 'default'));
}
