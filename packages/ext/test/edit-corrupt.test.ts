import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { FsError, MemoryDevice } from '@fstool/blockdev';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { fileEntry } from './edit-helpers.js';
import { noise } from './read-fixtures.js';

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'dumpe2fs'))('editing corrupted images', () => {
  const tmp = tempDir('ext-edit-corrupt-');
  let image: Uint8Array;
  let hot: Array<[number, number]>;

  beforeAll(() => {
    const src = tmp.join('tree');
    mkdirSync(`${src}/many`, { recursive: true });
    for (let i = 0; i < 120; i++) writeFileSync(`${src}/many/f-${i}`, noise(i * 9, i + 1));
    const img = tmp.join('c.img');
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', '-d', src, img, '4M']);
    mustRun('e2fsck', ['-fyD', img]);
    image = new Uint8Array(readFileSync(img));
    const dump = mustRun('dumpe2fs', [img]);
    const bs = 1024;
    const table = Number(/Inode table at (\d+)/.exec(dump)?.[1]);
    const bbitmap = Number(/Block bitmap at (\d+)/.exec(dump)?.[1]);
    const gdt = Number(/Group descriptors at (\d+)/.exec(dump)?.[1]);
    hot = [
      [1024, 256],
      [gdt * bs, 64],
      [bbitmap * bs, bs],
      [table * bs, 20 * 256],
    ];
    const dirBlocks = mustRun('debugfs', ['-R', 'blocks /many', img]).trim().split(/\s+/).map(Number);
    for (const b of dirBlocks.slice(0, 4)) hot.push([b * bs, bs]);
  });
  afterAll(() => tmp.cleanup());

  it('add and rm -r on flipped bytes: typed errors only, never a crash or hang', async () => {
    let seed = 99;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let typed = 0;
    for (let trial = 0; trial < 60; trial++) {
      const bytes = image.slice();
      const [start, len] = hot[trial % hot.length] as [number, number];
      for (let f = 0; f < 1 + rand(6); f++) bytes[start + rand(len)] ^= 1 << rand(8);
      try {
        const fs = await openExt(new MemoryDevice(bytes), { writable: true, ignoreChecksums: true });
        await fs.add('/many/new', fileEntry('/many/new', noise(3000, trial)));
        await fs.add('/top', fileEntry('/top', noise(100, trial)));
        await fs.remove('/many', { recursive: true });
        await fs.close();
      } catch (e) {
        if (!(e instanceof FsError)) throw new Error(`trial ${trial}: untyped ${(e as Error).stack}`);
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(0);
  });
});
