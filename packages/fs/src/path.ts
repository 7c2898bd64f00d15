import { InvalidPathError } from './errors.js';
import { encodeName, escapeName, nameByteLength } from './names.js';

/** Longest name of one path component, in bytes (ext and most Unix filesystems; see names.ts). */
export const NAME_MAX = 255;

/**
 * Paths already in '/a/b' form whose names are too short to pass 255 bytes (3 bytes a code unit
 * at most): what an editor is handed for each of thousands of entries, returned as they are.
 */
const NORMAL = /^(?:\/(?!\.\.?(?:\/|$))[^/\0]{1,85})+$/;

/**
 * Normalises a path inside a filesystem to '/a/b' form: repeated and trailing slashes collapse,
 * '.' is dropped, '..' goes up but never above the root. NUL and over-long names are rejected.
 */
export function normalizePath(path: string): string {
  if (NORMAL.test(path)) return path;
  if (path.includes('\0')) throw new InvalidPathError(path, 'contains a NUL byte');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      parts.pop();
      continue;
    }
    if (nameByteLength(part) > NAME_MAX) {
      throw new InvalidPathError(path, `name "${escapeName(part.slice(0, 32))}…" is longer than ${NAME_MAX} bytes`);
    }
    parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** The components of a normalised path ('/' has none). */
export function splitPath(path: string): string[] {
  return normalizePath(path).split('/').filter(Boolean);
}

/** Parent directory of a normalised path ('/' is its own parent). */
export function dirname(path: string): string {
  const p = normalizePath(path);
  return p.slice(0, Math.max(1, p.lastIndexOf('/')));
}

/** Last component of a path ('' for the root). */
export function basename(path: string): string {
  const p = normalizePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Joins a directory and a name or relative path, normalised. */
export function joinPath(dir: string, name: string): string {
  // No doubled slash when `name` is a tree's own '/a/b' path: the result is often normal as built.
  const sep = dir.endsWith('/') || name.startsWith('/') ? '' : '/';
  return normalizePath(`${dir}${sep}${name}`);
}

/** Checks one directory-entry name: non-empty, no '/' or NUL, not '.' or '..', at most 255 bytes. */
export function checkName(name: string, path = name): void {
  if (name === '' || name === '.' || name === '..') throw new InvalidPathError(path, `"${name}" is not a valid name`);
  if (name.includes('/') || name.includes('\0')) throw new InvalidPathError(path, 'name contains "/" or NUL');
  if (nameByteLength(name) > NAME_MAX) throw new InvalidPathError(path, `name is longer than ${NAME_MAX} bytes`);
}

/**
 * A UTF-16 code unit moved so that code-unit order becomes code-point order (= UTF-8 byte order):
 * surrogates (supplementary planes) go above U+E000..U+FFFF.
 */
export function codePointRank(c: number): number {
  return c < 0xd800 ? c : c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/**
 * Orders names the way trees are sorted: by their bytes, so the order is the same on every host.
 * (Compares code points straight from the UTF-16 string: same order, no encoding per call; only a
 * difference at a surrogate, which may be an escaped byte, compares the encoded bytes.)
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return compareAsBytes(a, b, i);
    return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/**
 * Byte order of two names (or, with `slashFirst`, paths: '/' before any byte) whose UTF-16 forms first
 * differ at index `i`, at a surrogate: from there on, compare the encoded bytes.
 */
export function compareAsBytes(a: string, b: string, i: number, slashFirst = false): number {
  const from = i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? i - 1 : i;
  const x = encodeName(a.slice(from));
  const y = encodeName(b.slice(from));
  const n = Math.min(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const p = x[k] as number;
    const q = y[k] as number;
    if (p === q) continue;
    if (slashFirst && (p === 0x2f || q === 0x2f)) return p === 0x2f ? -1 : 1;
    return p - q;
  }
  return x.length - y.length;
}
