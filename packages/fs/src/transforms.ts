import { InvalidArgumentError } from '@fstool/blockdev';
import type { Entry, SourceTree } from './entry.js';

// Entry functions build each changed entry with one spread and never `delete` a field (both keep
// V8's objects fast: these run once per entry of trees with millions of entries). Dropped
// nanoseconds are written as 0, which every consumer treats like an absent field.

/** A tree with every entry passed through `fn` (streaming; `fn` must keep the path). */
export function mapEntries(tree: SourceTree, fn: (entry: Entry) => Entry): SourceTree {
  return {
    async *entries() {
      for await (const e of tree.entries()) yield fn(e);
    },
  };
}

const squashOwnersFn = (e: Entry): Entry => (e.uid === 0 && e.gid === 0 ? e : { ...e, uid: 0, gid: 0 });

/** Everything owned by root:root, like genext2fs -U (and the owner half of -q). */
export function squashOwners(tree: SourceTree): SourceTree {
  return mapEntries(tree, squashOwnersFn);
}

/** Group and other permission bits cleared, like genext2fs -P (the mode half of -q). */
export function squashPermissions(tree: SourceTree): SourceTree {
  return mapEntries(tree, (e) => (e.mode & 0o077 ? { ...e, mode: e.mode & ~0o077 } : e));
}

export interface IdMaps {
  uid?: ReadonlyMap<number, number>;
  gid?: ReadonlyMap<number, number>;
}

/** Owners renumbered through the maps; ids not in a map stay as they are. */
export function mapIds(tree: SourceTree, maps: IdMaps): SourceTree {
  return mapEntries(tree, (e) => {
    const uid = maps.uid?.get(e.uid) ?? e.uid;
    const gid = maps.gid?.get(e.gid) ?? e.gid;
    return uid === e.uid && gid === e.gid ? e : { ...e, uid, gid };
  });
}

function checkTime(time: number): void {
  if (!Number.isSafeInteger(time)) throw new InvalidArgumentError(`time ${time} is not a whole number of seconds`);
}

function fixedTimeFn(time: number): (e: Entry) => Entry {
  return (src) => {
    const e: Entry = { ...src, mtime: time, mtimeNsec: 0, atime: time, atimeNsec: 0, ctime: time, ctimeNsec: 0 };
    if (src.crtime !== undefined) {
      e.crtime = time;
      e.crtimeNsec = 0;
    }
    return e;
  };
}

/** Every time (mtime, atime, ctime, and crtime where present) set to `time` seconds, nanoseconds 0. */
export function fixedTime(tree: SourceTree, time: number): SourceTree {
  checkTime(time);
  return mapEntries(tree, fixedTimeFn(time));
}

function clampTimesFn(time: number): (e: Entry) => Entry {
  const later = (s: number | undefined, ns: number | undefined) =>
    s !== undefined && (s > time || (s === time && (ns ?? 0) > 0));
  return (src) => {
    const m = later(src.mtime, src.mtimeNsec);
    const a = later(src.atime, src.atimeNsec);
    const c = later(src.ctime, src.ctimeNsec);
    const cr = later(src.crtime, src.crtimeNsec);
    if (!m && !a && !c && !cr) return src;
    const e: Entry = { ...src };
    if (m) {
      e.mtime = time;
      e.mtimeNsec = 0;
    }
    if (a) {
      e.atime = time;
      e.atimeNsec = 0;
    }
    if (c) {
      e.ctime = time;
      e.ctimeNsec = 0;
    }
    if (cr) {
      e.crtime = time;
      e.crtimeNsec = 0;
    }
    return e;
  };
}

/**
 * SOURCE_DATE_EPOCH semantics: any time later than `time` becomes `time` (nanoseconds 0);
 * earlier times are kept exactly.
 */
export function clampTimes(tree: SourceTree, time: number): SourceTree {
  checkTime(time);
  return mapEntries(tree, clampTimesFn(time));
}

const normalizeTimesFn = (src: Entry): Entry => {
  const ns = src.mtimeNsec ?? 0;
  const e: Entry = { ...src, atime: src.mtime, atimeNsec: ns, ctime: src.mtime, ctimeNsec: ns };
  if (src.crtime !== undefined) {
    e.crtime = src.mtime;
    e.crtimeNsec = ns;
  }
  return e;
};

/**
 * Times that come from the build host rather than the tree's content replaced: atime, ctime (and
 * crtime where present) become the mtime, nanoseconds included. Copying a tree (cp -a, tar,
 * rsync, another filesystem) keeps mtimes but gives new ctimes and atimes, so afterwards the
 * times depend only on the mtimes.
 */
export function normalizeTimes(tree: SourceTree): SourceTree {
  return mapEntries(tree, normalizeTimesFn);
}

export interface ReproducibleOptions {
  /**
   * SOURCE_DATE_EPOCH: times later than this are clamped to it. With `fixed: true` every time is
   * set to it instead (like `--mtime`).
   */
  epoch?: number;
  fixed?: boolean;
  /** Owners squashed to root (default false: owners are part of the tree's content). */
  squashOwners?: boolean;
}

/**
 * The one call that makes a tree independent of the host it was scanned on: atime/ctime/crtime
 * follow the mtime (normalizeTimes), then times are clamped to (or fixed at) `epoch` when given.
 * One pass over the entries. Use it for reproducible images, with fixed UUIDs/seeds in the writer.
 */
export function reproducible(tree: SourceTree, opts: ReproducibleOptions = {}): SourceTree {
  const fns = [normalizeTimesFn];
  if (opts.epoch !== undefined) {
    checkTime(opts.epoch);
    fns.push(opts.fixed ? fixedTimeFn(opts.epoch) : clampTimesFn(opts.epoch));
  } else if (opts.fixed) throw new InvalidArgumentError('reproducible: `fixed` needs an `epoch`');
  if (opts.squashOwners) fns.push(squashOwnersFn);
  return mapEntries(tree, (e) => fns.reduce((x, f) => f(x), e));
}
