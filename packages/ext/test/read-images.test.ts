import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, pick, snapshotTree, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt, probeExt } from '../src/read/index.js';
import { makeImage, makeSourceTree, snapshotImage } from './read-fixtures.js';

const FIELDS = ['path', 'kind', 'mode', 'uid', 'gid', 'size', 'sha256', 'target', 'rdev', 'linkGroup'] as const;

interface Variant {
  name: string;
  opts: Parameters<typeof makeImage>[2];
  /** Rebuild directories as htrees with e2fsck -D after creation. */
  htree?: boolean;
  /** Paths the tool itself gets wrong (compared elsewhere). */
  skip?: string[];
}

const variants: Variant[] = [
  { name: 'ext4 4 KiB (defaults)', opts: { type: 'ext4', args: ['-b', '4096'] } },
  { name: 'ext4 1 KiB (defaults)', opts: { type: 'ext4', args: ['-b', '1024'] } },
  // mke2fs -d with inline_data drops a file's trailing hole from i_size (e2fsprogs 1.47.0).
  {
    name: 'ext4 inline_data',
    opts: { type: 'ext4', args: ['-b', '4096', '-O', 'inline_data'] },
    skip: ['/data/islands', '/data/far'],
  },
  { name: 'ext4 ^extents (block maps)', opts: { type: 'ext4', args: ['-b', '1024', '-O', '^extents,^64bit'] } },
  { name: 'ext3 1 KiB', opts: { type: 'ext3', args: ['-b', '1024'] } },
  { name: 'ext3 4 KiB', opts: { type: 'ext3', args: ['-b', '4096'] } },
  { name: 'ext2 1 KiB, 128-byte inodes', opts: { type: 'ext2', args: ['-b', '1024', '-I', '128'] } },
  { name: 'ext2 4 KiB', opts: { type: 'ext2', args: ['-b', '4096'] } },
  { name: 'ext4 1 KiB htree (e2fsck -D)', opts: { type: 'ext4', args: ['-b', '1024'] }, htree: true },
  { name: 'ext2 htree (e2fsck -D)', opts: { type: 'ext2', args: ['-b', '1024'] }, htree: true },
  {
    name: 'ext4 meta_bg, sparse_super2, uninit_bg',
    opts: { type: 'ext4', args: ['-b', '1024', '-O', 'meta_bg,^resize_inode,sparse_super2,^metadata_csum,uninit_bg'] },
  },
  // genext2fs stores only 8-bit major/minor numbers.
  { name: 'genext2fs', opts: { tool: 'genext2fs' }, skip: ['/dev/big'] },
];

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'genext2fs', 'mknod', 'python3'))(
  'reading images made by real tools',
  () => {
    const tmp = tempDir('ext-read-');
    const src = tmp.join('tree');
    let expected: ReturnType<typeof snapshotTree>;

    beforeAll(() => {
      makeSourceTree(src);
      expected = snapshotTree(src, { xattrs: false });
    });
    afterAll(() => tmp.cleanup());

    for (const v of variants) {
      it(`${v.name}: ls -R and cat of every file match the source`, async () => {
        const img = tmp.join(`${v.name.replace(/\W+/g, '_')}.img`);
        makeImage(img, src, v.opts);
        if (v.htree) mustRun('e2fsck', ['-fyD', img]);
        mustRun('e2fsck', ['-fn', img]);
        const dev = await FileDevice.open(img);
        expect(await probeExt(dev)).toBe(true);
        const fs = await openExt(dev, { writable: false });
        try {
          const got = await snapshotImage(fs, { ignore: ['/lost+found'] });
          const want = expected.filter((r) => !v.skip?.includes(r.path));
          expect(
            pick(
              got.filter((r) => !v.skip?.includes(r.path)),
              [...FIELDS],
            ),
          ).toEqual(pick(want, [...FIELDS]));
          // mke2fs -d and genext2fs keep whole seconds; the root gets the time of the build.
          const seconds = (rs: Array<{ path: string; mtimeNs: bigint }>) =>
            rs.filter((r) => r.path !== '/' && !v.skip?.includes(r.path)).map((r) => r.mtimeNs / 1_000_000_000n);
          expect(seconds(got)).toEqual(seconds(want));
          expect(fs.warnings).toEqual([]);
          const info = await fs.info();
          expect(info.blocks).toBeGreaterThan(0);
          expect(info.freeBlocks).toBeLessThan(info.blocks as number);
          if (v.htree) {
            const dump = mustRun('debugfs', ['-R', 'htree /many', img]);
            expect(dump).toMatch(/Root node dump/);
          }
        } finally {
          await fs.close();
          await dev.close();
        }
      });
    }
  },
);
