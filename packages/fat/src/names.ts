/**
 * Long names and their 8.3 aliases. Long names are UTF-16, case preserved; short names are
 * generated as fatgen103 section 7.2 describes (basis name, then a numeric tail `~n`), with
 * Windows' habit of switching to a hashed basis after four collisions.
 */
import { InvalidArgumentError } from '@fstool/blockdev';
import { firstEscapedByte, InvalidPathError } from '@fstool/fs';
import { CASE_LOWER_BASE, CASE_LOWER_EXT, KANJI_E5, LFN_CHARS } from './format/dirent.js';

/** Longest long name in UTF-16 code units. */
export const LFN_MAX = 255;

/** Characters a short name may hold besides A–Z and 0–9 (ASCII only: fstool writes no code page). */
const SHORT_EXTRA = new Set("$%'-_@~`!(){}^#&");
/** Forbidden in any FAT name. */
const FORBIDDEN = /["*/:<>?\\|\u0000-\u001f\u007f]/;

function isShortChar(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || SHORT_EXTRA.has(c);
}

/** The short-name character for `c` in upper case, or undefined (non-ASCII and '+,;=[]' have none). */
function shortChar(c: string): string | undefined {
  if (c.length !== 1 || c.charCodeAt(0) >= 0x80) return undefined;
  const up = c.toUpperCase();
  return isShortChar(up) ? up : undefined;
}

/** Checks that FAT can hold `name`; the error names `path`. */
export function checkFatName(name: string, path: string): void {
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const c = bad[0].charCodeAt(0);
    const shown = c < 0x20 || c === 0x7f ? `control character 0x${c.toString(16).padStart(2, '0')}` : `"${bad[0]}"`;
    throw new InvalidPathError(path, `FAT names cannot contain ${shown}`);
  }
  const byte = firstEscapedByte(name);
  if (byte !== undefined) {
    // A byte name from a Unix filesystem (see @fstool/fs names.ts): FAT long names are UTF-16 text.
    throw new InvalidPathError(path, `FAT names are text: byte \\x${byte.toString(16)} is not UTF-8`);
  }
  if (name === '.' || name === '..' || name === '') throw new InvalidPathError(path, 'not a valid FAT name');
  if (name.endsWith('.') || name.endsWith(' ')) {
    throw new InvalidPathError(path, 'FAT names cannot end with "." or a space');
  }
  if (name.length > LFN_MAX) throw new InvalidPathError(path, `FAT names are at most ${LFN_MAX} UTF-16 units`);
}

/** An 11-byte short name ("FOO     TXT") as a string key, plus what the directory entry needs. */
export interface ShortName {
  /** 11 ASCII characters, space padded: base (8) then extension (3). */
  raw: string;
  /** NT case flags when the long name is the short name in lower case (no long-name entries then). */
  ntCase: number;
  /** True when long-name entries must precede the short entry. */
  needsLfn: boolean;
}

/** `raw` as the bytes of the directory entry's name field. */
export function shortNameBytes(raw: string): Uint8Array {
  const out = new Uint8Array(11);
  for (let i = 0; i < 11; i++) out[i] = raw.charCodeAt(i);
  if (out[0] === 0xe5) out[0] = KANJI_E5;
  return out;
}

/**
 * Bytes 0x80–0xFF of code page 850, mtools' default, for short names written by other tools
 * (mcopy stores 'é.txt' as 0x90 + the lower-case flag, with no long name).
 */
const CP850_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';

/** 'FOO     TXT' (one char per byte) → 'FOO.TXT', high bytes read as code page 850. */
export function displayShortName(raw: string, ntCase = 0): string {
  const text = raw.replace(/[\u0080-\u00ff]/g, (c) => CP850_HIGH[c.charCodeAt(0) - 0x80] as string);
  let base = text.slice(0, 8).trimEnd();
  let ext = text.slice(8, 11).trimEnd();
  if (ntCase & CASE_LOWER_BASE) base = base.toLowerCase();
  if (ntCase & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

function pad(base: string, ext: string): string {
  return base.padEnd(8, ' ') + ext.padEnd(3, ' ');
}

/** Splits an exact 8.3 name ('FOO.TXT', 'foo.txt') into base and extension, or undefined. */
function exact83(name: string): { base: string; ext: string } | undefined {
  const dot = name.indexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3 || (dot >= 0 && ext.length === 0)) return undefined;
  const valid = (s: string) => [...s].every((c) => shortChar(c) !== undefined);
  if (!valid(base) || !valid(ext)) return undefined;
  return { base, ext };
}

/** A 16-bit hash of a long name for the hashed basis form (deterministic; Windows' own is undocumented). */
function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (((h << 5) | (h >>> 11)) + name.charCodeAt(i) * 0x9e37) & 0xffff;
  return h;
}

/** Generates unique short names for the entries of one directory, in the order they are added. */
export class ShortNameTable {
  readonly #used = new Set<string>();

  /** Reserves an existing short name (when editing a directory). */
  reserve(raw: string): void {
    this.#used.add(raw);
  }

  /** The short name for a (checked) long name, unique in this directory. */
  assign(name: string): ShortName {
    const exact = exact83(name);
    if (exact) {
      const raw = pad(exact.base.toUpperCase(), exact.ext.toUpperCase());
      if (!this.#used.has(raw)) {
        const lowerOrUpper = (s: string) => s === s.toUpperCase() || s === s.toLowerCase();
        // All-upper or all-lower parts need no long name (lower case is kept in the NT flags);
        // mixed case like 'ReadMe.txt' keeps the short name but adds a long one.
        const needsLfn = !lowerOrUpper(exact.base) || !lowerOrUpper(exact.ext);
        let ntCase = 0;
        if (!needsLfn) {
          if (exact.base !== exact.base.toUpperCase()) ntCase |= CASE_LOWER_BASE;
          if (exact.ext && exact.ext !== exact.ext.toUpperCase()) ntCase |= CASE_LOWER_EXT;
        }
        this.#used.add(raw);
        return { raw, ntCase, needsLfn };
      }
    }
    const { base, ext, lossy } = basis(name);
    let raw = pad(base, ext);
    if (lossy || this.#used.has(raw) || base.length === 0) raw = this.#withTail(name, base, ext);
    this.#used.add(raw);
    return { raw, ntCase: 0, needsLfn: true };
  }

  #withTail(name: string, base: string, ext: string): string {
    const stem = base || '_';
    for (let n = 1; n <= 4; n++) {
      const tail = `~${n}`;
      const raw = pad(stem.slice(0, 8 - tail.length) + tail, ext);
      if (!this.#used.has(raw)) return raw;
    }
    const hashed = stem.slice(0, 2) + nameHash(name).toString(16).toUpperCase().padStart(4, '0');
    for (let n = 1; n < 1_000_000; n++) {
      const tail = `~${n}`;
      const raw = pad(hashed.slice(0, 8 - tail.length) + tail, ext);
      if (!this.#used.has(raw)) return raw;
    }
    throw new InvalidPathError(name, 'no free short name left in this directory');
  }
}

/**
 * The basis name (fatgen103 7.2, as Windows applies it): upper case, spaces and leading dots
 * dropped, base = everything before the last dot without its dots (8 chars), extension after the
 * last dot (3 chars). `lossy` when anything was replaced or cut, which forces a numeric tail.
 */
function basis(name: string): { base: string; ext: string; lossy: boolean } {
  let lossy = false;
  const conv = (s: string) => {
    let out = '';
    for (const ch of s) {
      const up = shortChar(ch);
      if (up !== undefined) out += up;
      else {
        lossy = true;
        if (ch !== '.' && ch !== ' ') out += '_';
      }
    }
    return out;
  };
  const trimmed = name.replace(/^[. ]+/, '');
  if (trimmed.length !== name.length) lossy = true;
  const last = trimmed.lastIndexOf('.');
  const primary = conv(last < 0 ? trimmed : trimmed.slice(0, last));
  const extension = last < 0 ? '' : conv(trimmed.slice(last + 1));
  if (primary.length > 8 || extension.length > 3) lossy = true;
  return { base: primary.slice(0, 8), ext: extension.slice(0, 3), lossy };
}

/** Number of long-name entries `name` needs. */
export function lfnCount(name: string): number {
  return Math.ceil(name.length / LFN_CHARS);
}

/** Characters a volume label may not hold besides controls (fatgen103: as for short names, plus space allowed). */
const LABEL_FORBIDDEN = /["*+,./:;<=>?[\\\]|]/;

/** A volume label as its 11-character, upper-cased, space-padded form; invalid labels are errors. */
export function normalizeLabel(label: string): string {
  const up = label.toUpperCase();
  if (up.length > 11 || !/^[\x20-\x7e]*$/.test(up) || LABEL_FORBIDDEN.test(up)) {
    throw new InvalidArgumentError(
      `volume label ${JSON.stringify(label)} must be at most 11 printable ASCII characters without "*+,./:;<=>?[\\]|`,
    );
  }
  return up.padEnd(11, ' ');
}
