import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FsError } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, pick, snapshotTree, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { makeImage, makeSourceTree, sha256Of, snapshotImage } from './read-fixtures.js';

const FIELDS = ['path', 'kind', 'mode', 'uid', 'gid', 'size', 'sha256', 'target', 'rdev', 'linkGroup'] as const;

/** debugfs's listing of one directory: names other than . and .. */
function debugfsNames(img: string, dir: string): string[] {
  return mustRun('debugfs', ['-R', `ls -p ${dir}`, img])
    .split('\n')
    .map((line) => line.split('/')[5])
    .filter((n): n is string => n !== undefined && n !== '.' && n !== '..')
    .sort();
}

// bigalloc (RO_COMPAT): block bitmaps and descriptor counts are per cluster of 2^n blocks, and
// blocks per group is clusters per group times that, more than one bitmap block's bits.
describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs', 'dumpe2fs', 'mknod'))('bigalloc', () => {
  const tmp = tempDir('ext-bigalloc-');
  const src = tmp.join('tree');
  let expected: ReturnType<typeof snapshotTree>;
  beforeAll(() => {
    makeSourceTree(src);
    expected = snapshotTree(src, { xattrs: false });
  });
  afterAll(() => tmp.cleanup());

  for (const [block, cluster] of [
    [1024, 16384],
    [4096, 65536],
  ] as const) {
    it(`${block}-byte blocks, ${cluster}-byte clusters: reads like debugfs, refuses writing naming bigalloc`, async () => {
      const img = tmp.join(`ba-${block}.img`);
      makeImage(img, src, { args: ['-b', String(block), '-O', 'bigalloc', '-C', String(cluster)], size: '128M' });
      mustRun('e2fsck', ['-fn', img]);
      const header = mustRun('dumpe2fs', ['-h', img]);
      const dev = await FileDevice.open(img);
      const fs = await openExt(dev, { writable: false });
      try {
        const got = await snapshotImage(fs, { ignore: ['/lost+found'] });
        expect(pick(got, [...FIELDS])).toEqual(pick(expected, [...FIELDS]));
        for (const dir of ['/', '/etc', '/many']) {
          const ours = (await fs.list(dir)).map((e) => e.path.split('/').pop() as string).sort();
          expect(ours).toEqual(debugfsNames(img, dir));
        }
        const dumped = tmp.join(`rand-${block}`);
        mustRun('debugfs', ['-R', `dump /data/rand ${dumped}`, img]);
        expect(await sha256Of(fs, '/data/rand')).toBe(createHash('sha256').update(readFileSync(dumped)).digest('hex'));
        const info = await fs.info();
        expect(info.clusterSize).toBe(cluster);
        expect(info.blocksPerGroup).toBe(Number(/Blocks per group:\s+(\d+)/.exec(header)?.[1]));
        expect(info.freeBlocks).toBe(Number(/Free blocks:\s+(\d+)/.exec(header)?.[1]));
        expect(fs.warnings).toEqual([]);
      } finally {
        await fs.close();
        await dev.close();
      }
      const rw = await FileDevice.open(img, { writable: true });
      try {
        const err = await openExt(rw, { writable: true }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(FsError);
        expect((err as Error).message).toMatch(/not supported for writing: bigalloc/);
      } finally {
        await rw.close();
      }
      mustRun('e2fsck', ['-fn', img]);
    });
  }
});
