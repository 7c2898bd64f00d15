import { InvalidArgumentError } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';
import { need, statIfAny } from './need.js';
import { walk } from './tree.js';

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const PERM: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };

/**
 * A chmod mode: octal (`755`, `0644`) or symbolic clauses (`u+x,go-w`, `a=r`, `+X`), applied
 * to the current mode of an entry of `kind`.
 */
export function parseMode(text: string): (mode: number, kind: Entry['kind']) => number {
  if (/^[0-7]{1,4}$/.test(text)) {
    const m = Number.parseInt(text, 8);
    return () => m;
  }
  const clauses = text.split(',').map((c) => {
    const m = /^([ugoa]*)([+=-])([rwxXst]*)$/.exec(c);
    if (!m) throw new InvalidArgumentError(`chmod: bad mode "${text}" (octal like 755, or like u+x,go-w)`);
    return { who: m[1] || 'a', op: m[2] as '+' | '-' | '=', perms: m[3] as string };
  });
  return (mode, kind) => {
    let out = mode & 0o7777;
    for (const { who, op, perms } of clauses) {
      const mask = [...who].reduce((a, w) => a | (WHO[w] as number), 0);
      let bits = 0;
      for (const p of perms) {
        // X: execute only for directories or what is already executable by someone.
        if (p === 'X') bits |= kind === 'dir' || out & 0o111 ? 0o111 : 0;
        else bits |= PERM[p] as number;
      }
      bits &= mask;
      if (op === '+') out |= bits;
      else if (op === '-') out &= ~bits;
      else out = (out & ~mask) | bits;
    }
    return out;
  };
}

/** `UID[:GID]`, `:GID` or `UID:` (numbers: an image has no user database the host could use). */
export function parseOwner(text: string): { uid?: number; gid?: number } {
  const m = /^(\d*)(?::(\d*))?$/.exec(text);
  if (!m || (m[1] === '' && !m[2])) throw new InvalidArgumentError(`chown: bad owner "${text}" (numeric UID[:GID])`);
  return { ...(m[1] ? { uid: Number(m[1]) } : {}), ...(m[2] ? { gid: Number(m[2]) } : {}) };
}

/** Each path, or with `recursive` everything below it too. */
async function* targets(fs: FileSystem, paths: string[], recursive: boolean): AsyncGenerator<Entry> {
  for (const p of paths) {
    if (recursive) yield* walk(fs, p);
    else yield await fs.stat(p);
  }
}

export async function changeMode(fs: FileSystem, mode: string, paths: string[], recursive: boolean): Promise<void> {
  const set = need(fs, 'setAttributes');
  const f = parseMode(mode);
  for await (const e of targets(fs, paths, recursive)) {
    if (e.kind !== 'symlink') await set(e.path, { mode: f(e.mode, e.kind) });
  }
}

export async function changeOwner(fs: FileSystem, owner: string, paths: string[], recursive: boolean): Promise<void> {
  const set = need(fs, 'setAttributes');
  const ids = parseOwner(owner);
  for await (const e of targets(fs, paths, recursive)) await set(e.path, ids);
}

/** touch: sets times (now unless given), creating an empty file when the path is missing. */
export async function touch(
  fs: FileSystem,
  path: string,
  o: { time?: number; only?: 'atime' | 'mtime'; noCreate?: boolean },
): Promise<void> {
  const t = o.time ?? Math.floor(Date.now() / 1000);
  if (!(await statIfAny(fs, path))) {
    if (o.noCreate) return;
    await fs.add(path, { path, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: t, atime: t, size: 0 });
    return;
  }
  await need(fs, 'setAttributes')(path, {
    ...(o.only !== 'atime' ? { mtime: t } : {}),
    ...(o.only !== 'mtime' ? { atime: t } : {}),
  });
}
