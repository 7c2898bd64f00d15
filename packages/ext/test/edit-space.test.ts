import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { NoSpaceError } from '@fstool/fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import {
  addHost,
  copyTree,
  expectMountedEquals,
  fileEntry,
  freeCounts,
  fsckClean,
  putDir,
  putFile,
} from './edit-helpers.js';
import { closeOpened, makeImage, makeSourceTree, noise, openDevice } from './read-fixtures.js';

afterAll(closeOpened);

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'dumpe2fs', 'mknod', 'python3'))(
  'editor: big directories and space',
  () => {
    const tmp = tempDir('ext-space-');
    afterAll(() => tmp.cleanup());

    for (const v of [
      { name: 'ext4 1 KiB (htree)', type: 'ext4', args: ['-b', '1024'], files: 3000 },
      {
        name: 'ext3 4 KiB without dir_index (linear)',
        type: 'ext3',
        args: ['-b', '4096', '-O', '^dir_index'],
        files: 1000,
      },
    ]) {
      it(`${v.name}: ${v.files} files into one directory`, async () => {
        const base = v.name.replace(/\W+/g, '_');
        const src = tmp.join(`${base}-src`);
        const mirror = tmp.join(`${base}-mirror`);
        const img = tmp.join(`${base}.img`);
        mkdirSync(`${src}/big`, { recursive: true });
        copyTree(src, mirror);
        makeImage(img, src, { type: v.type, args: v.args, size: '64M' });
        const fs = await openExt(await openDevice(img, { writable: true }), { writable: true });
        for (let i = 0; i < v.files; i++) await putFile(fs, mirror, `/big/file-number-${i}`, noise(i % 50, i));
        expect((await fs.stat(`/big/file-number-${v.files - 1}`)).size).toBe((v.files - 1) % 50);
        await fs.close();
        fsckClean(img);
        await expectMountedEquals(img, mirror);
      });
    }

    it('add then remove the same content: free counts return to their original values', async () => {
      const src = tmp.join('undo-src');
      const img = tmp.join('undo.img');
      makeSourceTree(src, { bigDir: 30 });
      makeImage(img, src, { type: 'ext4', args: ['-b', '1024'], size: '96M' });
      const before = freeCounts(img);
      const fs = await openExt(await openDevice(img, { writable: true }), { writable: true });
      await putDir(fs, tmp.path, '/t');
      await addHost(fs, `${src}/etc`, '/t/etc');
      await addHost(fs, `${src}/many`, '/t/many');
      for (let i = 0; i < 400; i++) await fs.add(`/t/many/extra-${i}`, fileEntry('/x', noise(i, i)));
      await fs.add('/t/big', fileEntry('/t/big', noise(3_000_000, 3)));
      await fs.close();
      fsckClean(img);
      expect(freeCounts(img).blocks).toBeLessThan(before.blocks);
      const again = await openExt(await openDevice(img, { writable: true }), { writable: true });
      await again.remove('/t', { recursive: true });
      await again.close();
      fsckClean(img);
      expect(freeCounts(img)).toEqual(before);
    });

    it('filling the image: NoSpaceError, the image unchanged, e2fsck clean', async () => {
      const src = tmp.join('full-src');
      const mirror = tmp.join('full-mirror');
      const img = tmp.join('full.img');
      mkdirSync(src);
      copyTree(src, mirror);
      makeImage(img, src, { type: 'ext4', args: ['-b', '1024', '-N', '256'], size: '8M' });
      let fs = await openExt(await openDevice(img, { writable: true }), { writable: true });
      let i = 0;
      let failure: unknown;
      for (; i < 1000 && !failure; i++) {
        const before = sha(img);
        try {
          await putFile(fs, mirror, `/f${i}`, noise(300_000, i));
        } catch (e) {
          failure = e;
          expect(sha(img)).toBe(before);
        }
      }
      expect(failure).toBeInstanceOf(NoSpaceError);
      mustRun('rm', ['-f', `${mirror}/f${i - 1}`]);
      await fs.close();
      fsckClean(img);
      await expectMountedEquals(img, mirror);
      // Inodes run out too: small files until no inode is left.
      fs = await openExt(await openDevice(img, { writable: true }), { writable: true });
      await fs.remove(`/f0`);
      mustRun('rm', ['-f', `${mirror}/f0`]);
      let inodeFailure: unknown;
      for (let k = 0; k < 5000 && !inodeFailure; k++) {
        try {
          await putFile(fs, mirror, `/s${k}`, new Uint8Array(0));
        } catch (e) {
          inodeFailure = e;
          mustRun('rm', ['-f', `${mirror}/s${k}`]);
        }
      }
      expect(inodeFailure).toBeInstanceOf(NoSpaceError);
      await fs.close();
      fsckClean(img);
      await expectMountedEquals(img, mirror);
    });
  },
);
