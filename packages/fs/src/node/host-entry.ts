import { type BigIntStats, lstatSync, readlinkSync } from 'node:fs';
import type { Entry } from '../entry.js';
import { UnsupportedError } from '../errors.js';
import { kindFromMode } from '../mode.js';
import { normalizePath } from '../path.js';
import { hostError } from './errors.js';
import { hostFileSource } from './host-content.js';
import { type XattrPolicy, type XattrReader, xattrReader } from './xattrs.js';

const NS = 1_000_000_000n;
export const utf8 = new TextDecoder('utf-8', { fatal: true });

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
 */
export function entryFromStats(abs: string, path: string, st: BigIntStats, readXattrs?: XattrReader): Entry {
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
  const xattrs = readXattrs?.(abs);
  if (xattrs) e.xattrs = xattrs;
  return e;
}

/**
 * The Entry for one host path (not following a symlink), placed at `path` inside a tree; for
 * adding single host files to an image. `linkId` is not set.
 */
export function hostEntry(hostPath: string, opts: { path?: string; xattrs?: XattrPolicy } = {}): Entry {
  let st: BigIntStats;
  try {
    st = lstatSync(hostPath, { bigint: true });
  } catch (e) {
    throw hostError(e, hostPath, 'stat it');
  }
  return entryFromStats(hostPath, normalizePath(opts.path ?? '/'), st, xattrReader(opts.xattrs ?? 'default'));
}
