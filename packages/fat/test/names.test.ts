import { describe, expect, it } from 'vitest';
import { lfnChecksum } from '../src/format/dirent.js';
import { decodeFatTime, encodeFatTime } from '../src/format/time.js';
import { checkFatName, normalizeLabel, ShortNameTable, shortNameBytes } from '../src/names.js';

const assign = (names: string[]) => {
  const t = new ShortNameTable();
  return names.map((n) => {
    const s = t.assign(n);
    return `${s.raw}${s.needsLfn ? '+lfn' : ''}${s.ntCase ? `/${s.ntCase}` : ''}`;
  });
};

describe('short names', () => {
  it('keeps exact 8.3 names, records lower case in the NT flags, mixed case in a long name', () => {
    expect(assign(['README.TXT', 'notes.txt', 'Mixed.txt', 'MAKEFILE', 'lower.TXT'])).toEqual([
      'README  TXT',
      'NOTES   TXT/24',
      'MIXED   TXT+lfn',
      'MAKEFILE   ',
      'LOWER   TXT/8',
    ]);
  });

  it('numeric tails, then the hashed form after four collisions', () => {
    const names = Array.from({ length: 7 }, (_, i) => `Long File Name ${i}.html`);
    const out = assign(names);
    expect(out.slice(0, 4)).toEqual(['LONGFI~1HTM+lfn', 'LONGFI~2HTM+lfn', 'LONGFI~3HTM+lfn', 'LONGFI~4HTM+lfn']);
    for (const s of out.slice(4)) expect(s).toMatch(/^LO[0-9A-F]{4}~1HTM\+lfn$/);
    expect(new Set(out).size).toBe(7);
  });

  it('names differing only in case get different short names', () => {
    const out = assign(['ABC.TXT', 'abc.txt', 'Abc.txt']);
    expect(out).toEqual(['ABC     TXT', 'ABC~1   TXT+lfn', 'ABC~2   TXT+lfn']);
  });

  it('replaces what 8.3 cannot hold and drops dots and spaces like Windows', () => {
    expect(assign(['a+b.txt', '.bashrc', 'x.tar.gz', 'café', 'my file.jpeg'])).toEqual([
      'A_B~1   TXT+lfn',
      'BASHRC~1   +lfn',
      'XTAR~1  GZ +lfn',
      'CAF_~1     +lfn',
      'MYFILE~1JPE+lfn',
    ]);
  });

  it('forbidden characters and trailing dots are refused with the path', () => {
    for (const bad of ['a"b', 'a*b', 'a/b', 'a:b', 'a<b', 'a>b', 'a?b', 'a\\b', 'a|b', 'a\u0001b', 'end.', 'end ']) {
      expect(() => checkFatName(bad, `/dir/${bad}`)).toThrow('/dir/');
    }
  });

  it('checksum and labels', () => {
    // fatgen103's algorithm over "FOO     BAR"
    let sum = 0;
    for (const c of 'FOO     BAR') sum = (((sum & 1) << 7) + (sum >> 1) + c.charCodeAt(0)) & 0xff;
    expect(lfnChecksum(shortNameBytes('FOO     BAR'))).toBe(sum);
    expect(normalizeLabel('boot')).toBe('BOOT       ');
    expect(() => normalizeLabel('much too long label')).toThrow(/11/);
  });
});

describe('timestamps', () => {
  it('2-second resolution in the chosen zone, clamped to 1980–2107', () => {
    const t = Date.UTC(2024, 1, 29, 13, 45, 31) / 1000;
    const utc = encodeFatTime(t, 0);
    expect(decodeFatTime(utc.date, utc.time, 0)).toBe(t - 1);
    expect(decodeFatTime(utc.date, utc.time, 0, utc.tenths)).toBe(t);
    const plus2 = encodeFatTime(t, 120);
    expect((plus2.time >> 11) & 31).toBe(15);
    expect(decodeFatTime(plus2.date, plus2.time, 120)).toBe(t - 1);
    expect(decodeFatTime(encodeFatTime(0, 0).date, 0, 0)).toBe(Date.UTC(1980, 0, 1) / 1000);
  });
});
