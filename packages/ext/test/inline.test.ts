/** inline_data: files of up to 60 bytes live in the inode, as mke2fs -O inline_data makes them. */
import { readFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { treeFromEntries } from '@fstool/fs';
import { e2fsckNoise, haveTools, mustRun, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { extDriver } from '../src/driver.js';
import { buildImage, dir, file } from './helpers.js';

const MiB = 2 ** 20;
const SIZES = [0, 1, 6, 59, 60, 61, 4000];
const text = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
const tree = () => treeFromEntries([dir('/d'), ...SIZES.map((n) => file(`/d/f${n}`, text(n)))]);

describe.skipIf(!haveTools('e2fsck', 'debugfs'))('inline_data', () => {
  const tmp = tempDir('fstool-ext-inline-');
  afterAll(() => tmp.cleanup());

  for (const blockSize of [1024, 4096]) {
    it(`${blockSize}-byte blocks: small files in the inode, e2fsck-silent, read back by the kernel and the reader`, async () => {
      const img = tmp.join(`inline-${blockSize}.img`);
      await buildImage(img, tree(), 'ext4', { blockSize, features: '+inline_data' }, 8 * MiB);
      expect(e2fsckNoise(img)).toEqual([]);
      expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/features:.*inline_data/);
      for (const n of SIZES) {
        const stat = mustRun('debugfs', ['-R', `stat /d/f${n}`, img]);
        const inline = n > 0 && n <= 60;
        expect(/Flags: 0x1\d{7}/.test(stat), `f${n}`).toBe(inline);
        if (inline) expect(stat).toMatch(/Blockcount: 0\b/);
      }
      const dev = await FileDevice.open(img);
      const fs = await extDriver.open(dev, { writable: false });
      for (const n of SIZES) {
        const parts: Uint8Array[] = [];
        for await (const c of fs.read(`/d/f${n}`)) parts.push(c);
        expect(Buffer.concat(parts).toString(), `f${n}`).toBe(text(n));
      }
      await fs.close();
      await dev.close();
      const seen = await withLoopMount(img, (mnt) => SIZES.map((n) => readFileSync(`${mnt}/d/f${n}`, 'utf8')));
      if (seen) expect(seen).toEqual(SIZES.map(text));
    });
  }

  it('refuses inline_data with 128-byte inodes (no room for its system.data marker)', async () => {
    await expect(
      buildImage(tmp.join('small.img'), tree(), 'ext4', { inodeSize: 128, features: '+inline_data' }, 8 * MiB),
    ).rejects.toThrow(/inline_data needs ext_attr and 256-byte inodes/);
  });
});
