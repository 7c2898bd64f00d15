/** Source trees written to the host at test time (no committed fixtures). */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patternSource } from './helpers.js';

const T0 = 1_700_000_000; // 2023-11-14, an even second

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  patternSource(size, seed).readSync?.(0, b);
  return b;
}

/** Names FAT must keep exactly (BMP only: mtools 4.0 cannot show surrogate pairs). */
export const TRICKY_NAMES = [
  'README.TXT',
  'readme.txt',
  'ReadMe.txt',
  'README.txt',
  'readme.TXT',
  'rEADME.TXT',
  'Readme.Txt',
  'a long file name with spaces.text',
  '  leading spaces',
  'multi.dot.name.tar.gz',
  '.dotfile',
  'a+b,c;d=e[f].txt',
  'Ünïcödé – naïve café.txt',
  '日本語のファイル名.txt',
  'Ωμέγα',
  'exactly13char',
  'exactly-26-characters-long',
  'x'.repeat(255),
  'lower.txt',
  'UPPER',
  'Mixed.TXT',
  '$%~!@#.{}',
  'é.txt',
  'ÉCOLE.TXT',
];

/** A tree with long and Unicode names, nested and empty dirs, empty and multi-cluster files. */
export function writeMixedTree(root: string, opts: { many?: number; bigFile?: number } = {}): void {
  mkdirSync(root, { recursive: true });
  const seen = new Set<string>();
  for (const [i, name] of TRICKY_NAMES.entries()) {
    // FAT names are case-insensitive: of the case variants of a name, the first is written.
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    writeFileSync(join(root, name), `${name}\n${i}\n`);
    utimesSync(join(root, name), T0 + 2 * i, T0 + 2 * i);
  }
  mkdirSync(join(root, 'a/b/c/d'), { recursive: true });
  writeFileSync(join(root, 'a/b/c/d/deep file.bin'), pattern(70_000, 3));
  writeFileSync(join(root, 'a/b/empty'), '');
  mkdirSync(join(root, 'empty dir'));
  writeFileSync(join(root, 'a/one cluster'), pattern(4096, 5));
  writeFileSync(join(root, 'big.bin'), pattern(opts.bigFile ?? 3 * 2 ** 20 + 7, 9));
  const many = opts.many ?? 1000;
  if (many) {
    mkdirSync(join(root, 'many'));
    for (let i = 0; i < many; i++) writeFileSync(join(root, 'many', `file number ${i}.dat`), `${i}`);
  }
  writeFileSync(join(root, 'readonly.txt'), 'ro', { mode: 0o444 });
}
