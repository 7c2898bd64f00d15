import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '@fstool/blockdev/node';
import { scanDirectory } from '@fstool/fs/node';
import { haveTools, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { fatDriver } from '../src/index.js';
import {
  dirEntry,
  fileEntry as file,
  fsck,
  hostRecords,
  mkfsImage,
  openImage,
  readTree,
  writePattern,
} from './helpers.js';

const tmp = tempDir('fstool-fat32small-');
afterAll(() => tmp.cleanup());

/** A small tree: nested directories, a long name, an empty file, a file of many clusters. */
function writeTree(root: string): void {
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  mkdirSync(join(root, 'empty dir'));
  writePattern(join(root, 'a/b/c/deep.bin'), 70_000, 1);
  writePattern(join(root, 'A rather long file name.txt'), 3000, 2);
  writeFileSync(join(root, 'a/empty'), '');
  for (let i = 0; i < 40; i++) writePattern(join(root, `a/file ${i}.dat`), i * 100, i);
}

describe.skipIf(!haveTools('mkfs.fat', 'fsck.vfat'))('FAT32 with fewer than 65525 clusters', () => {
  for (const [name, args, kib] of [
    ['512-byte sectors', ['-s', '1'], 8192],
    ['4Kn', ['-S', '4096', '-s', '1'], 16384],
  ] as const) {
    it(`${name}: what mkfs.fat -F 32 makes is opened and edited; fsck.fat agrees`, async () => {
      const src = tmp.join(`src-${name}`);
      writeTree(src);
      const image = tmp.join(`${name}.img`);
      mkfsImage(image, kib, ['-F', '32', ...args]);
      const dev = await FileDevice.open(image);
      expect(await fatDriver.probe(dev)).toBe(true);
      await dev.close();

      // Fill it (mtools 4.0 and this kernel cannot write small FAT32), then read it back.
      const { fs, done } = await openImage(image, true);
      const info = await fs.info();
      expect([info.type, (info.clusters as number) < 65525]).toEqual(['fat32', true]);
      for await (const e of scanDirectory(src, { xattrs: 'none' }).entries())
        if (e.path !== '/') await fs.add(e.path, e);
      await fs.remove('/a/b', { recursive: true });
      rmSync(join(src, 'a/b'), { recursive: true });
      await fs.add('/a/new dir', dirEntry('/a/new dir'));
      mkdirSync(join(src, 'a/new dir'));
      await fs.add('/A rather long file name.txt', file('/A rather long file name.txt', 5000, 9)); // replaces
      writePattern(join(src, 'A rather long file name.txt'), 5000, 9);
      await done();

      const check = fsck(image);
      expect(check.code, check.out).toBe(0);
      const again = await openImage(image);
      expect(await readTree(again.fs)).toEqual(hostRecords(src));
      await again.done();
      // fsck.fat's own listing of every path (short names where there is no long one; mtools 4.0.32
      // misreads small FAT32 as FAT16 and sees an empty root, so it cannot judge here).
      const listed = runTool('fsck.vfat', ['-n', '-l', image]).stdout.match(/^Checking file (.+?)(?: \(.*\))?$/gm);
      const paths = listed?.map((l) =>
        l
          .replace(/^Checking file /, '')
          .replace(/ \([^)]*\)$/, '')
          .toUpperCase(),
      );
      expect(paths?.sort()).toEqual(['/', ...hostRecords(src).map((r) => r.path.toUpperCase())].sort());
    });
  }
});
