import { InvalidPathError } from './errors.js';

/*
 * Names are bytes. Unix filesystems store a name as any bytes but '/' and NUL; most are UTF-8, some
 * (Latin-1 archives, Samba shares) are not. `Entry.path` stays a string, made lossless by a
 * surrogate escape: each byte that is not part of a valid UTF-8 sequence becomes the lone
 * surrogate U+DC80+(byte-0x80), which valid UTF-8 can never produce. So decodeName/encodeName
 * round-trip any bytes, UTF-8 names are unchanged, and distinct byte names stay distinct.
 */

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });

const ESCAPE_BASE = 0xdc00;
const isEscape = (u: number) => u >= 0xdc80 && u <= 0xdcff;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    // E0 needs A0.. (no overlong forms); ED stops at 9F (UTF-8 cannot hold surrogates).
    const ok = c === 0xe0 ? cont(1, 0xa0) : c === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const ok = c === 0xf0 ? cont(1, 0x90) : c === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** A name's bytes as a string: UTF-8 decoded, every other byte as the lone surrogate U+DC80+(byte-0x80). */
export function decodeName(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    // Short ASCII names (nearly all) are copied in JS: cheaper than a decoder call.
    let s = '';
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      if (c >= 0x80) return decodeBytes(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeBytes(bytes);
}

function decodeBytes(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const n = sequenceLength(bytes, i);
      if (n === 0) out += String.fromCharCode(ESCAPE_BASE + (bytes[i++] as number));
      else {
        out += strict.decode(bytes.subarray(i, i + n));
        i += n;
      }
    }
    return out;
  }
}

/**
 * The bytes of a name or path: the inverse of decodeName. An unpaired surrogate outside
 * U+DC80..U+DCFF (UTF-16 names from FAT can hold them) has no UTF-8 form; it is written in its
 * generalised 3-byte form (WTF-8), which keeps it distinct and reads back as three escaped bytes.
 */
export function encodeName(name: string): Uint8Array {
  if (!SURROGATE.test(name)) return encoder.encode(name);
  const out: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (pairAt(name, i)) {
      out.push(...encoder.encode(name.slice(i, i + 2)));
      i++;
    } else if (isEscape(u)) out.push(u - ESCAPE_BASE);
    else if (u >= 0xd800 && u <= 0xdfff) out.push(0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f));
    else out.push(...encoder.encode(name[i] as string));
  }
  return Uint8Array.from(out);
}

/** Is the UTF-16 unit at `i` the start of a surrogate pair? */
function pairAt(name: string, i: number): boolean {
  const u = name.charCodeAt(i);
  const next = name.charCodeAt(i + 1);
  return u >= 0xd800 && u <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}

/** Byte length of a name (what NAME_MAX counts), without encoding it. */
export function nameByteLength(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (u < 0x80 || isEscape(u)) n += 1;
    else if (u < 0x800) n += 2;
    else if (pairAt(name, i)) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The first escaped byte (a name byte that is not UTF-8) in `name`, or undefined. */
export function firstEscapedByte(name: string): number | undefined {
  if (!SURROGATE.test(name)) return undefined;
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (pairAt(name, i)) i++;
    else if (isEscape(u)) return u - ESCAPE_BASE;
  }
  return undefined;
}

/** True when the string is exactly some UTF-8 text: no escaped bytes, no unpaired surrogates. */
export function isPlainName(name: string): boolean {
  if (!SURROGATE.test(name)) return true;
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (pairAt(name, i)) i++;
    else if (u >= 0xd800 && u <= 0xdfff) return false;
  }
  return true;
}

const C_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\\': '\\\\',
};
const NEEDS_ESCAPE = /[\x00-\x1f\x7f-\x9f\\\uD800-\uDFFF]/;
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * A name for display, unambiguous like `ls -b`: `\\` for a backslash, C escapes (`\n`, `\t`, …) and
 * `\xNN` for other control characters, `\xNN` for a byte that is not UTF-8, `\u{DNNN}` for an
 * unpaired surrogate of a UTF-16 name. unescapeName reads this form (and `ls -b`'s `\ooo`) back.
 */
export function escapeName(name: string): string {
  if (!NEEDS_ESCAPE.test(name)) return name;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    const u = name.charCodeAt(i);
    if (pairAt(name, i)) {
      out += name.slice(i, i + 2);
      i++;
    } else if (isEscape(u)) out += `\\x${hex2(u - ESCAPE_BASE)}`;
    else if (u >= 0xd800 && u <= 0xdfff) out += `\\u{${u.toString(16)}}`;
    else if (C_ESCAPES[ch]) out += C_ESCAPES[ch];
    else if (u < 0x20 || u === 0x7f) out += `\\x${hex2(u)}`;
    else if (u >= 0x80 && u <= 0x9f) out += `\\u{${u.toString(16)}}`;
    else out += ch;
  }
  return out;
}

const C_UNESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  '\\': '\\',
};

/** The character for one byte value: itself below 0x80, its escape surrogate above. */
const byteChar = (b: number) => String.fromCharCode(b < 0x80 ? b : ESCAPE_BASE + b);

/**
 * Parses the escapeName form back into a name or path: `\\`, `\a \b \t \n \v \f \r`, `\xNN` (a byte),
 * `\ooo` (a byte in octal, as `ls -b` prints), `\u{H…}` (a code point). Text without a backslash is
 * returned unchanged; an unknown or cut-off escape is an InvalidPathError.
 */
export function unescapeName(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const rest = text.slice(i + 1);
    const m = /^x([0-9a-fA-F]{2})/.exec(rest) ?? /^([0-3][0-7]{2})/.exec(rest) ?? /^u\{([0-9a-fA-F]{1,6})\}/.exec(rest);
    const c = C_UNESCAPES[rest.charAt(0)];
    if (m) {
      const kind = rest[0];
      const value = Number.parseInt(m[1] as string, kind === 'x' || kind === 'u' ? 16 : 8);
      if (kind !== 'u') out += byteChar(value);
      else if (value <= 0x10ffff) out += String.fromCodePoint(value);
      else throw new InvalidPathError(text, `escape \\${m[0]} is past U+10FFFF`);
      i += 1 + m[0].length;
    } else if (c !== undefined) {
      out += c;
      i += 2;
    } else {
      throw new InvalidPathError(
        text,
        `unknown escape "\\${rest.charAt(0)}" at offset ${i} (write \\\\ for a backslash, \\xNN for a byte)`,
      );
    }
  }
  return out;
}

/** Base64 of a name's bytes (for JSON output beside the escaped string). */
export function nameBytesBase64(name: string): string {
  let bin = '';
  for (const b of encodeName(name)) bin += String.fromCharCode(b);
  return btoa(bin);
}
