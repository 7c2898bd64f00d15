/**
 * Holes in plans: sizes count the blocks data occupies (not the file sizes), all-zero blocks
 * become holes unless `sparse` is off, and a file whose holes change after the scan is refused.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { type Entry, treeFromEntries } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';
import { e2fsckNoise, haveTools, mustRun, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extDriver } from '../src/driver.js';
import { buildImage, file } from './helpers.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const OFFSETS = [0, 3 * GiB + 12345, 5 * GiB - 8192];
const blockcount = (img: string, path: string) =>
  Number(/Blockcount: (\d+)/.exec(mustRun('debugfs', ['-R', `stat ${path}`, img]))?.[1]);

describe.skipIf(!haveTools('e2fsck', 'debugfs', 'truncate'))('holes in plans', () => {
  const tmp = tempDir('fstool-ext-holes-');
  const src = tmp.join('src');
  const data = Buffer.alloc(8192, 'sparse data ');
  beforeAll(() => {
    mkdirSync(src);
    // 5 GiB holding three 8 KiB islands.
    const fd = openSync(`${src}/five-gib`, 'w');
    for (const off of OFFSETS) writeSync(fd, data, 0, data.length, off);
    closeSync(fd);
    mustRun('truncate', ['-s', String(5 * GiB), `${src}/five-gib`]);
    // 256 KiB of explicit zero blocks (fully allocated on the host) with a few bytes in the middle.
    const zeros = Buffer.alloc(256 * 1024);
    zeros.write('middle', 100 * 1024);
    writeFileSync(`${src}/zeros`, zeros);
  });
  afterAll(() => tmp.cleanup());

  for (const type of ['ext2', 'ext4']) {
    it(`${type}: a 5 GiB sparse file goes into 64 MiB, and the minimum size counts its data only`, async () => {
      const min = await extDriver.minimumSize(scanDirectory(src, { xattrs: 'none' }), {}, { type });
      expect(min).toBeLessThan(4 * MiB); // not 5 GiB: the data, a journal (ext4) and a little room
      for (const size of [64 * MiB, min]) {
        const img = tmp.join(`${type}-${size}.img`);
        await buildImage(img, scanDirectory(src, { xattrs: 'none' }), type, {}, size);
        expect(e2fsckNoise(img)).toEqual([]);
        // Read back at the islands through the kernel (a dump would write all 5 GiB).
        const islands = await withLoopMount(img, (mnt) => {
          const fd = openSync(`${mnt}/five-gib`, 'r');
          try {
            return OFFSETS.map((off) => {
              const got = Buffer.alloc(data.length);
              readSync(fd, got, 0, got.length, off);
              return got.equals(data);
            });
          } finally {
            closeSync(fd);
          }
        });
        if (islands !== undefined) expect(islands).toEqual([true, true, true]);
      }
    });
  }

  it('all-zero blocks become holes by default; sparse: false keeps them allocated', async () => {
    const counts: number[] = [];
    for (const sparse of [true, false]) {
      const img = tmp.join(`zeros-${sparse}.img`);
      await buildImage(img, scanDirectory(src, { xattrs: 'none' }), 'ext4', { blockSize: 1024, sparse }, 16 * MiB);
      expect(e2fsckNoise(img)).toEqual([]);
      const out = tmp.join('zeros.out');
      mustRun('debugfs', ['-R', `dump /zeros ${out}`, img]);
      expect(readFileSync(out).equals(readFileSync(`${src}/zeros`))).toBe(true);
      counts.push(blockcount(img, '/zeros'));
    }
    // 256 KiB at 1 KiB blocks is 512 sectors; the one 4 KiB host block with data is 8.
    expect(counts).toEqual([8, 512]);
  });

  it('refuses a file that gained data in a hole between the scan and the write', async () => {
    const size = 4 * MiB;
    let calls = 0;
    const changing: Entry = {
      ...file('/changing', ''),
      size,
      open: () => ({
        read: async (_o: number, into: Uint8Array) => into.fill(1).length,
        readSync: (_o: number, into: Uint8Array) => into.fill(1).length,
        // The scan sees a hole after the first MiB; by the write, the file is full.
        holes: async () => (calls++ === 0 ? [[MiB, size - MiB] as [number, number]] : []),
        close: async () => {},
      }),
    };
    await expect(
      buildImage(tmp.join('changed.img'), treeFromEntries([changing]), 'ext4', {}, 16 * MiB),
    ).rejects.toThrow(/\/changing: has data at byte 1048576 where it had a hole when the tree was scanned/);
  });
});
