/**
 * Case-insensitive name matching. FAT names are case-preserving but case-insensitive: Windows
 * compares long names through an up-case table of one entry per UTF-16 code unit, and Linux vfat
 * through its character set's upper-case table. We use the Unicode *simple* upper-case mapping
 * (UnicodeData.txt field 12) of each UTF-16 code unit: a one-to-one mapping that never changes a
 * name's length, so 'ß' stays 'ß' (its full mapping 'SS' would not), surrogates (paired or lone)
 * compare as themselves, and every BMP letter with a single upper-case form matches it.
 */

/**
 * The BMP code units whose full upper-case mapping has several characters but whose simple
 * mapping is one other character (Greek with ypogegrammeni): 'ᾳ' → 'ᾼ' and the like. Every other
 * multi-character full mapping has no simple one (the character maps to itself).
 */
function simpleOfExpanding(c: number): number {
  if ((c >= 0x1f80 && c <= 0x1f87) || (c >= 0x1f90 && c <= 0x1f97) || (c >= 0x1fa0 && c <= 0x1fa7)) return c + 8;
  if (c === 0x1fb3 || c === 0x1fc3 || c === 0x1ff3) return c + 9;
  return c;
}

function upperUnit(c: number): number {
  if (c < 0x80) return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  if (c >= 0xd800 && c <= 0xdfff) return c;
  const up = String.fromCharCode(c).toUpperCase();
  return up.length === 1 ? up.charCodeAt(0) : simpleOfExpanding(c);
}

/** `name` with each UTF-16 code unit replaced by its simple upper-case form: the key names are compared by. */
export function upperName(name: string): string {
  // Fast path: without surrogates, a same-length full upper-casing expanded nothing, so it is the simple one.
  if (!/[\ud800-\udfff]/.test(name)) {
    const up = name.toUpperCase();
    if (up.length === name.length) return up;
  }
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(upperUnit(name.charCodeAt(i)));
  return out;
}
