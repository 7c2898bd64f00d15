import { describe, expect, it } from 'vitest';
import {
  compareNames,
  comparePaths,
  decodeName,
  encodeName,
  escapeName,
  InvalidPathError,
  isPlainName,
  NAME_MAX,
  nameByteLength,
  nameBytesBase64,
  normalizePath,
  unescapeName,
} from '../src/index.js';

const b = (...xs: number[]) => Uint8Array.from(xs);
const text = (s: string) => new TextEncoder().encode(s);

/** A deterministic stream of byte strings mixing ASCII, valid UTF-8 and invalid bytes. */
function* samples(n: number): Generator<Uint8Array> {
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const pieces = [text('a'), text('é'), text('€'), text('😀'), b(0xe9), b(0xff), b(0xc3), b(0xed, 0xa0, 0x80), b(0x80)];
  for (let i = 0; i < n; i++) {
    const parts: number[] = [];
    const len = next() % 6;
    for (let k = 0; k < len; k++) parts.push(...(pieces[next() % pieces.length] as Uint8Array));
    yield Uint8Array.from(parts);
  }
}

describe('names are bytes', () => {
  it('decodes UTF-8 as text and every other byte as a lone surrogate U+DC80+(byte-0x80)', () => {
    expect(decodeName(text('café 😀'))).toBe('café 😀');
    expect(decodeName(b(0x63, 0x61, 0x66, 0xe9))).toBe('caf\udce9');
    // A cut-off sequence, an encoded surrogate and an overlong form are bytes, not characters.
    expect(decodeName(b(0xe2, 0x82))).toBe('\udce2\udc82');
    expect(decodeName(b(0xed, 0xb2, 0x80))).toBe('\udced\udcb2\udc80');
    expect(decodeName(b(0xc0, 0xaf))).toBe('\udcc0\udcaf');
    expect(decodeName(b(0xf4, 0x90, 0x80, 0x80))).toBe('\udcf4\udc90\udc80\udc80');
  });

  it('round-trips any bytes, and distinct bytes give distinct strings', () => {
    const seen = new Map<string, string>();
    for (const raw of samples(1500)) {
      const s = decodeName(raw);
      expect(encodeName(s)).toEqual(raw);
      expect(nameByteLength(s)).toBe(raw.length);
      expect(isPlainName(s)).toBe(new TextDecoder().decode(raw) === s && !raw.includes(0xed));
      const hex = Buffer.from(raw).toString('hex');
      expect(seen.get(s) ?? hex).toBe(hex);
      seen.set(s, hex);
      // The display form reads back to the same name.
      expect(unescapeName(escapeName(s))).toBe(s);
      expect(Buffer.from(nameBytesBase64(s), 'base64')).toEqual(Buffer.from(raw));
    }
  });

  it('writes an unpaired surrogate of a UTF-16 name (FAT) in its 3-byte form', () => {
    expect(encodeName('a\ud800')).toEqual(b(0x61, 0xed, 0xa0, 0x80));
    expect(nameByteLength('a\ud800')).toBe(4);
    expect(isPlainName('a\ud800')).toBe(false);
    expect(escapeName('a\ud800')).toBe('a\\u{d800}');
  });

  it('escapes like ls -b, unambiguously, and reads ls -b octal escapes back', () => {
    expect(escapeName('plain name.txt')).toBe('plain name.txt');
    expect(escapeName('caf\udce9')).toBe('caf\\xe9');
    expect(escapeName('a\\xe9')).toBe('a\\\\xe9');
    expect(escapeName('new\nline\ttab\x01\x7f')).toBe('new\\nline\\ttab\\x01\\x7f');
    expect(escapeName('\u0085')).toBe('\\u{85}');
    expect(escapeName('😀é')).toBe('😀é');
    expect(unescapeName('caf\\351')).toBe('caf\udce9');
    expect(unescapeName('caf\\xE9')).toBe('caf\udce9');
    expect(unescapeName('\\u{e9}')).toBe('é');
    expect(unescapeName('a\\\\b\\n')).toBe('a\\b\n');
    expect(() => unescapeName('C:\\temp\\q')).toThrow(InvalidPathError);
    expect(() => unescapeName('end\\')).toThrow(/unknown escape/);
    expect(() => unescapeName('\\u{110000}')).toThrow(/past U\+10FFFF/);
  });

  it('sorts by bytes and counts NAME_MAX in bytes', () => {
    const names = [...samples(300)].map((raw) => ({ raw, s: decodeName(raw) }));
    const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x.raw), Buffer.from(y.raw)));
    const byName = [...names].sort((x, y) => compareNames(x.s, y.s));
    expect(byName.map((n) => n.s)).toEqual(byBytes.map((n) => n.s));
    expect(comparePaths('/caf\udce9/x', '/café/x')).toBeGreaterThan(0);
    expect(comparePaths('/a\udce9', '/a\udce9/b')).toBeLessThan(0);
    expect(normalizePath(`/${'\udce9'.repeat(NAME_MAX)}`)).toHaveLength(NAME_MAX + 1);
    expect(() => normalizePath(`/${'é'.repeat(128)}`)).toThrow(/longer than 255 bytes/);
  });
});
