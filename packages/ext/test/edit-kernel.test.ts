import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { fileEntry, fsckClean, withRwMount } from './edit-helpers.js';
import { closeOpened, noise, openDevice } from './read-fixtures.js';

afterAll(closeOpened);

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs', 'dumpe2fs', 'mount', 'umount'))(
  'editing alongside the kernel',
  () => {
    const tmp = tempDir('ext-kernel-');
    afterAll(() => tmp.cleanup());

    const empty = tmp.join('empty');
    mkdirSync(empty);
    const bitmaps = (img: string) => mustRun('dumpe2fs', [img]).match(/(Block|Inode) bitmap at \d+/g);

    // Without a journal (metadata_csum) the editor writes changed bitmaps to new blocks.
    for (const [journal, features] of [
      ['with a journal', []],
      ['without a journal', ['-O', '^has_journal']],
    ] as const) {
      it(`${journal}: kernel-made htrees take our inserts, and the kernel keeps working on ours`, async () => {
        const img = tmp.join(`k-${features.length}.img`);
        mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', ...features, '-d', empty, img, '32M']);
        const kernelMade = withRwMount(img, (mnt) => {
          mkdirSync(join(mnt, 'k'));
          for (let i = 0; i < 1500; i++) writeFileSync(join(mnt, 'k', `kernel-${i}`), `${i}`);
        });
        if (!kernelMade) return;
        const before = bitmaps(img);
        expect(mustRun('debugfs', ['-R', 'htree /k', img])).toMatch(/Root node dump/);
        fsckClean(img);
        const dev = await FileDevice.open(img, { writable: true });
        const fs = await openExt(dev, { writable: true });
        for (let i = 0; i < 400; i++) await fs.add(`/k/ours-${i}`, fileEntry('/x', noise(i, i)));
        for (let i = 0; i < 1500; i += 5) await fs.remove(`/k/kernel-${i}`);
        await fs.close();
        await dev.close();
        fsckClean(img);
        if (features.length > 0) expect(bitmaps(img)).not.toEqual(before);
        else expect(bitmaps(img)).toEqual(before);
        withRwMount(img, (mnt) => {
          for (let i = 0; i < 400; i++) writeFileSync(join(mnt, 'k', `kernel-again-${i}`), 'x');
          for (let i = 0; i < 400; i += 3) rmSync(join(mnt, 'k', `ours-${i}`));
        });
        fsckClean(img);
        const names = new Set<string>();
        withRwMount(img, (mnt) => {
          for (const n of readdirSync(join(mnt, 'k'))) names.add(n);
        });
        const ro = await openExt(await openDevice(img), { writable: false });
        const ours = (await ro.list('/k')).map((e) => e.path.slice(3));
        expect(new Set(ours)).toEqual(names);
        expect(ours.length).toBe(1500 - 300 + 400 - 134 + 400);
      });
    }
  },
);
