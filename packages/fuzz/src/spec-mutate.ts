import type { Rng } from './rng.js';

/** Fragments that push a TOML spec parser and validator to their edges. */
const TOKENS = [
  '=',
  '"',
  "'",
  '[',
  ']',
  '[[',
  ']]',
  '{',
  '}',
  ',',
  '.',
  '#',
  '\n',
  '\\',
  '"""',
  '\u0000',
  '\u{1f600}',
  '\ud800',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '18446744073709551616',
  '"0"',
  '"auto"',
  '"1T"',
  '"99999999P"',
  '"-4M"',
  '"1.5G"',
  '"1e3M"',
  'true',
  'nan',
  'inf',
  '2024-13-45T99:99:99Z',
  '[]',
  '{}',
  '"../../../etc"',
  '"/"',
  '"a/\u0000b"',
  'type = "ext4"',
  'type = "vfat"',
  'type = "btrfs"',
  '[[partition]]',
  '[filesystem]',
  '[image]',
  'size = "1M"',
  'size = 0',
  'start = "1M"',
  'source = "."',
];

/**
 * One random mutation of a TOML text: a token inserted, a line deleted or duplicated, bytes
 * flipped, a value replaced, or the text cut short. 1..6 of them per case.
 */
export function mutateSpec(text: string, rng: Rng): string {
  let out = text;
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(8)) {
      case 0:
        out = out.slice(0, at) + rng.pick(TOKENS) + out.slice(at);
        break;
      case 1: {
        const lines = out.split('\n');
        lines.splice(rng.int(lines.length), 1);
        out = lines.join('\n');
        break;
      }
      case 2: {
        const lines = out.split('\n');
        const k = rng.int(lines.length);
        lines.splice(k, 0, lines[k] ?? '');
        out = lines.join('\n');
        break;
      }
      case 3:
        out = out.slice(0, at) + String.fromCharCode(rng.int(128)) + out.slice(at + 1);
        break;
      case 4: {
        // Replace the value after an '=' with a token.
        const eq = out.indexOf('=', at);
        if (eq < 0) break;
        const eol = out.indexOf('\n', eq);
        out = `${out.slice(0, eq + 1)} ${rng.pick(TOKENS)}${eol < 0 ? '' : out.slice(eol)}`;
        break;
      }
      case 5:
        out = out.slice(0, at);
        break;
      case 6: {
        // Swap two lines (tables before keys, keys under the wrong table).
        const lines = out.split('\n');
        const a = rng.int(lines.length);
        const b = rng.int(lines.length);
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        out = lines.join('\n');
        break;
      }
      default: {
        // A number replaced by a boundary value.
        const m = /\d+/.exec(out.slice(at));
        if (!m) break;
        const s = at + m.index;
        out =
          out.slice(0, s) +
          rng.pick(['0', '4294967296', '9007199254740993', '99999999999999999999']) +
          out.slice(s + m[0].length);
      }
    }
  }
  return out;
}
