import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExistsError, treeFromEntries, UnsupportedError } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { upperName } from '../src/name-case.js';
import {
  buildImage,
  dirEntry as dir,
  fsck,
  mkfsImage,
  mtoolsPaths,
  mtype,
  openImage,
  textEntry as text,
} from './helpers.js';

const tmp = tempDir('fstool-fatcase-');
afterAll(() => tmp.cleanup());

describe('upperName: the simple upper-case mapping per UTF-16 unit', () => {
  it('maps one unit to one unit, keeps what has no simple mapping', () => {
    expect(upperName('readme.txt')).toBe('README.TXT');
    expect(upperName('café crème ǆ')).toBe('CAFÉ CRÈME Ǆ');
    expect(upperName('ωμέγα')).toBe('ΩΜΈΓΑ');
    expect(upperName('straße')).toBe('STRAßE'); // the full mapping would give STRASSE
    expect(upperName('ﬁle')).toBe('ﬁLE');
    expect(upperName('ᾳ ᾀ')).toBe('ᾼ ᾈ'); // expanding full mappings with a one-unit simple form
    expect(upperName('a\ud800b\udc00')).toBe('A\ud800B\udc00'); // lone surrogates stay
    expect(upperName('𐐨')).toBe('𐐨'); // outside the BMP: compared as is, like Windows' up-case table
  });
});

describe.skipIf(!haveTools('mkfs.fat', 'mcopy', 'mdir', 'mtype', 'fsck.vfat'))('names differing only in case', () => {
  for (const [type, kib] of [
    ['12', 2048],
    ['16', 8192],
    ['32', 34 * 1024],
  ] as const) {
    it(`FAT${type}: lookups and add match any case; add replaces (one entry), mtools agrees`, async () => {
      const src = tmp.join(`src${type}`);
      mkdirSync(join(src, 'Docs'), { recursive: true });
      writeFileSync(join(src, 'readme.txt'), 'old\n');
      writeFileSync(join(src, 'Long File Name.txt'), 'long\n');
      writeFileSync(join(src, 'café crème.txt'), 'crème\n');
      writeFileSync(join(src, 'Docs', 'a.txt'), 'a\n');
      const image = tmp.join(`case${type}.img`);
      mkfsImage(
        image,
        kib,
        ['-F', type, '-s', '1'],
        ['readme.txt', 'Long File Name.txt', 'café crème.txt', 'Docs'].map((n) => join(src, n)),
      );
      const before = mtoolsPaths(image);

      const { fs, done } = await openImage(image, true);
      const st = await fs.stat('/Readme.Txt');
      expect([st.size, st.ino]).toEqual([4, (await fs.stat('/readme.txt')).ino]);
      expect((await fs.stat('/LONG FILE NAME.TXT')).size).toBe(5);
      // The short alias mcopy gave it addresses the same file, in any case too.
      expect((await fs.stat('/longfi~1.txt')).ino).toBe((await fs.stat('/Long File Name.txt')).ino);
      expect((await fs.stat('/CAFÉ CRÈME.TXT')).size).toBe(7);
      expect((await fs.list('/DOCS')).map((e) => e.path)).toEqual(['/DOCS/a.txt']);

      await fs.add('/README.TXT', text('/README.TXT', 'new readme\n'));
      await fs.add('/long FILE name.TXT', text('/long FILE name.TXT', 'new long\n'));
      await fs.add('/Café Crème.TXT', text('/Café Crème.TXT', 'new crème\n'));
      await fs.add('/docs/A.TXT', text('/docs/A.TXT', 'new a\n'));
      await expect(fs.add('/DOCS', dir('/DOCS'))).rejects.toThrow(ExistsError);
      // 'ß' has no simple upper-case form: 'straße' and 'STRASSE' are two names, as on Windows.
      await fs.add('/straße.txt', text('/straße.txt', 'ß\n'));
      await fs.add('/STRASSE.TXT', text('/STRASSE.TXT', 'SS\n'));
      // The stored names keep the case they had.
      expect((await fs.list('/')).map((e) => e.path)).toEqual([
        '/Docs',
        '/Long File Name.txt',
        '/STRASSE.TXT',
        '/café crème.txt',
        '/readme.txt',
        '/straße.txt',
      ]);
      const read = async (p: string) => {
        let s = '';
        for await (const chunk of fs.read(p)) s += new TextDecoder().decode(chunk);
        return s;
      };
      expect(await read('/ReadMe.TXT')).toBe('new readme\n');
      await fs.remove('/LONG FILE NAME.txt');
      await done();

      expect(fsck(image).code, fsck(image).out).toBe(0);
      expect(mtoolsPaths(image)).toEqual(
        [...before.filter((p) => p !== '/Long File Name.txt'), '/STRASSE.TXT', '/straße.txt'].sort(),
      );
      expect(mtype(image, '/README.TXT')).toBe('new readme\n');
      expect(mtype(image, '/CAFÉ CRÈME.TXT')).toBe('new crème\n');
      expect(mtype(image, '/Docs/a.txt')).toBe('new a\n');
    });
  }
});

describe.skipIf(!haveTools('mdir', 'fsck.vfat'))('building a tree with names differing only in case', () => {
  const tree = () =>
    treeFromEntries([
      dir('/DIR'),
      text('/DIR/in upper.txt', 'upper\n'),
      dir('/Dir'),
      text('/Dir/in mixed.txt', 'mixed\n'),
      text('/README.TXT', 'first\n'),
      text('/readme.txt', 'second\n'),
    ]);

  it('keeps the first of them and warns about each other (with what is skipped under it)', async () => {
    const image = tmp.join('built.img');
    const warnings: string[] = [];
    await buildImage(image, 2 * 2 ** 20, tree(), {}, 'fat12', warnings);
    expect(warnings).toEqual([
      '/Dir: FAT ignores case in names and /DIR is there already; skipped',
      '/readme.txt: FAT ignores case in names and /README.TXT is there already; skipped',
    ]);
    expect(fsck(image).code).toBe(0);
    expect(mtoolsPaths(image)).toEqual(['/DIR/', '/DIR/in upper.txt', '/README.TXT']);
    expect(mtype(image, '/readme.txt')).toBe('first\n');
    await expect(buildImage(tmp.join('strict.img'), 2 * 2 ** 20, tree(), { strict: true }, 'fat12')).rejects.toThrow(
      UnsupportedError,
    );
  });
});
