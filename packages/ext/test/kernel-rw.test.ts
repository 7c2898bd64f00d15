/**
 * The kernel mounts our images read-write, journals changes into our journal, allocates from our
 * bitmaps and grows our htrees; e2fsck is still clean after the unmount.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { treeFromEntries } from '@fstool/fs';
import { haveTools, inCI, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, dir, file, fsck } from './helpers.js';

const MiB = 2 ** 20;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot || !haveTools('mount', 'umount', 'e2fsck'))('kernel read-write mount', () => {
  const tmp = tempDir('fstool-ext-rw-');
  afterAll(() => tmp.cleanup());

  for (const [type, blockSize] of [
    ['ext4', 4096],
    ['ext4', 1024],
    ['ext3', 1024],
    ['ext2', 4096],
  ] as const) {
    it(`${type} at ${blockSize}-byte blocks: the kernel writes to it and e2fsck stays clean`, async (ctx) => {
      const entries = [
        dir('/big'),
        ...Array.from({ length: 3000 }, (_, i) => file(`/big/entry-${i}`, `${i}`)),
        file('/a', 'a'),
      ];
      const img = tmp.join(`${type}-${blockSize}.img`);
      await buildImage(img, treeFromEntries(entries), type, { blockSize }, 64 * MiB);
      const mnt = tmp.join(`mnt-${type}-${blockSize}`);
      mkdirSync(mnt);
      const m = spawnSync('mount', ['-o', 'loop', img, mnt], { encoding: 'utf8' });
      if (m.status !== 0) {
        if (inCI) throw new Error(`mount failed: ${m.stderr}`);
        return ctx.skip();
      }
      try {
        for (let i = 0; i < 2000; i++) writeFileSync(`${mnt}/big/new-${i}`, 'n'.repeat(i % 5000));
        for (let i = 0; i < 1000; i++) rmSync(`${mnt}/big/entry-${i * 3}`);
        mkdirSync(`${mnt}/fresh/deeper`, { recursive: true });
        writeFileSync(`${mnt}/fresh/deeper/file`, Buffer.alloc(3 * MiB, 7));
        expect(readdirSync(`${mnt}/big`).length).toBe(3000 + 2000 - 1000);
      } finally {
        spawnSync('umount', [mnt]);
      }
      const r = fsck(img);
      expect(r.code, r.out).toBe(0);
    });
  }
});
