import { readFileSync, writeFileSync } from 'node:fs';
import { type Entry, treeFromEntries } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  fsck,
  layoutOf,
  mkfsImage,
  mtool,
  mtoolsPaths,
  mtype,
  openImage,
  patternSource,
  textEntry,
} from './helpers.js';

const tmp = tempDir('fstool-fatsurr-');
afterAll(() => tmp.cleanup());

/** Replaces the UTF-16LE unit `from` with `to` in the long-name entries of the FAT12/16 root. */
function patchRootLfn(image: string, from: string, to: number): void {
  const bytes = new Uint8Array(readFileSync(image));
  const vol = layoutOf(bytes);
  const unit = from.charCodeAt(0);
  let hits = 0;
  for (let at = vol.rootOffset; at < vol.rootOffset + vol.rootEntries * 32; at += 32) {
    if (bytes[at + 11] !== 0x0f) continue; // long-name entries only
    for (const off of [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]) {
      if (bytes[at + off] === (unit & 0xff) && bytes[at + off + 1] === unit >> 8) {
        bytes[at + off] = to & 0xff;
        bytes[at + off + 1] = to >> 8;
        hits++;
      }
    }
  }
  if (hits !== 1) throw new Error(`expected one ${from} in the long names, found ${hits}`);
  writeFileSync(image, bytes);
}

const read = async (fs: { read(p: string): AsyncIterable<Uint8Array> }, p: string) => {
  let s = '';
  for await (const chunk of fs.read(p)) s += new TextDecoder().decode(chunk);
  return s;
};

describe.skipIf(!haveTools('mkfs.fat', 'mcopy', 'mdir', 'fsck.vfat'))('long names holding a lone surrogate', () => {
  it('list gives the lone surrogate as a JS code unit; stat, read and remove take that same string', async () => {
    const host = tmp.join('host');
    const image = tmp.join('lone.img');
    mkfsImage(image, 8192, ['-F', '16', '-s', '1']);
    for (const [name, body] of [
      ['with a high # surrogate.txt', 'high\n'],
      ['and a low @ one.txt', 'low\n'],
      ['plain.txt', 'plain\n'],
    ] as const) {
      writeFileSync(host, body);
      const r = mtool('mcopy', ['-i', image, host, `::/${name}`]);
      expect(r.code, r.out).toBe(0);
    }
    patchRootLfn(image, '#', 0xd800);
    patchRootLfn(image, '@', 0xdc00);
    const high = '/with a high \ud800 surrogate.txt';
    const low = '/and a low \udc00 one.txt';
    // mtools shows a lone surrogate as '_'.
    const mtoolsName = (p: string) => p.replace(/[\ud800-\udfff]/g, '_');
    expect(mtoolsPaths(image)).toEqual([low, '/plain.txt', high].map(mtoolsName));

    const { fs, done } = await openImage(image, true);
    expect((await fs.list('/')).map((e) => e.path)).toEqual([low, '/plain.txt', high]);
    expect((await fs.stat(high)).size).toBe(5);
    expect(await read(fs, high)).toBe('high\n');
    expect(await read(fs, low.toUpperCase())).toBe('low\n');
    // The UTF-8 replacement character is another name: no lossy matching.
    await expect(fs.stat('/with a high \ufffd surrogate.txt')).rejects.toThrow(/no such file/);
    await fs.remove(high);
    const made = '/made \udbff here.txt';
    const file: Entry = {
      path: made,
      kind: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 1_700_000_000,
      size: 6,
      open: () => patternSource(6),
    };
    await fs.add(made, file);
    await fs.add(low, { ...file, path: low, size: 3 }); // replaces
    expect((await fs.list('/')).map((e) => [e.path, e.size])).toEqual([
      [low, 3],
      [made, 6],
      ['/plain.txt', 6],
    ]);
    await done();

    const check = fsck(image);
    expect(check.code, check.out).toBe(0);
    expect(mtoolsPaths(image)).toEqual([low, made, '/plain.txt'].map(mtoolsName));
    expect(mtype(image, '/plain.txt')).toBe('plain\n');
    const again = await openImage(image);
    expect((await again.fs.list('/')).map((e) => e.path)).toEqual([low, made, '/plain.txt']);
    await again.done();
  });
});

describe.skipIf(!haveTools('mdir', 'fsck.vfat'))('building names with lone surrogates', () => {
  it('writes the lone units as they are and reads them back', async () => {
    const image = tmp.join('built.img');
    const names = ['/lone \ud83d high', '/lone \ude00 low', '/pair 😀 kept'];
    await buildImage(image, 2 * 2 ** 20, treeFromEntries(names.map((n, i) => textEntry(n, `${i}`))), {}, 'fat12');
    expect(fsck(image).code).toBe(0);
    expect(mtoolsPaths(image)).toHaveLength(3);
    const { fs, done } = await openImage(image);
    expect((await fs.list('/')).map((e) => e.path)).toEqual(names);
    for (const [i, n] of names.entries()) expect(await read(fs, n.toUpperCase())).toBe(`${i}`);
    await done();
  });
});
