import { InvalidArgumentError } from '@fstool/blockdev';
import type { Entry, SourceTree } from './entry.js';

/** A tree with every entry passed through `fn` (streaming; `fn` must keep the path). */
export function mapEntries(tree: SourceTree, fn: (entry: Entry) => Entry): SourceTree {
  return {
    async *entries() {
      for await (const e of tree.entries()) yield fn(e);
    },
  };
}

/** Everything owned by root:root, like genext2fs -U (and the owner half of -q). */
export function squashOwners(tree: SourceTree): SourceTree {
  return mapEntries(tree, (e) => (e.uid === 0 && e.gid === 0 ? e : { ...e, uid: 0, gid: 0 }));
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

type TimeField = 'mtime' | 'atime' | 'ctime' | 'crtime';
const TIME_FIELDS: readonly TimeField[] = ['mtime', 'atime', 'ctime', 'crtime'];

function checkTime(time: number): void {
  if (!Number.isSafeInteger(time)) throw new InvalidArgumentError(`time ${time} is not a whole number of seconds`);
}

function setTime(e: Entry, field: TimeField, seconds: number): void {
  e[field] = seconds;
  delete e[`${field}Nsec`];
}

/** Every time (mtime, atime, ctime and crtime where present) set to `time` seconds, nanoseconds dropped. */
export function fixedTime(tree: SourceTree, time: number): SourceTree {
  checkTime(time);
  return mapEntries(tree, (src) => {
    const e = { ...src };
    setTime(e, 'mtime', time);
    setTime(e, 'atime', time);
    setTime(e, 'ctime', time);
    if (e.crtime !== undefined) setTime(e, 'crtime', time);
    return e;
  });
}

/**
 * SOURCE_DATE_EPOCH semantics: any time later than `time` becomes `time` (nanoseconds dropped);
 * earlier times are kept exactly.
 */
export function clampTimes(tree: SourceTree, time: number): SourceTree {
  checkTime(time);
  return mapEntries(tree, (src) => {
    let e = src;
    for (const f of TIME_FIELDS) {
      const t = src[f];
      if (t === undefined) continue;
      if (t > time || (t === time && (src[`${f}Nsec`] ?? 0) > 0)) {
        if (e === src) e = { ...src };
        setTime(e, f, time);
      }
    }
    return e;
  });
}

/**
 * Times that come from the build host rather than the tree's content dropped: atime and ctime
 * become the mtime (with its nanoseconds) and crtime is removed. Copying a tree (cp -a, tar, rsync)
 * keeps mtimes but gives new ctimes and atimes, so after this the times depend only on the mtimes.
 */
export function normalizeTimes(tree: SourceTree): SourceTree {
  return mapEntries(tree, (src) => {
    const { crtime: _c, crtimeNsec: _cn, atimeNsec: _an, ctimeNsec: _ctn, ...rest } = src;
    const e: Entry = { ...rest, atime: src.mtime, ctime: src.mtime };
    if (src.mtimeNsec !== undefined) {
      e.atimeNsec = src.mtimeNsec;
      e.ctimeNsec = src.mtimeNsec;
    }
    return e;
  });
}

export interface ReproducibleOptions {
  /**
   * SOURCE_DATE_EPOCH: times later than this are clamped to it. Pass `fixed: true` to set every
   * time to it instead (like `--mtime`).
   */
  epoch?: number;
  fixed?: boolean;
  /** Owners squashed to root (default false: owners are part of the tree's content). */
  squashOwners?: boolean;
}

/**
 * The one call that makes a tree independent of the host it was scanned on: atime/ctime/crtime
 * follow the mtime (normalizeTimes), then times are clamped to (or fixed at) `epoch` when given.
 * Use it for reproducible images; combine with fixed UUIDs/seeds in the writer.
 */
export function reproducible(tree: SourceTree, opts: ReproducibleOptions = {}): SourceTree {
  let out = normalizeTimes(tree);
  if (opts.epoch !== undefined) out = opts.fixed ? fixedTime(out, opts.epoch) : clampTimes(out, opts.epoch);
  else if (opts.fixed) throw new InvalidArgumentError('reproducible: `fixed` needs an `epoch`');
  if (opts.squashOwners) out = squashOwners(out);
  return out;
}
