/**
 * The acceptance tree (every kind of entry) through ext2/ext3/ext4 at 1 KiB and 4 KiB blocks:
 * e2fsck -fn clean, and the kernel's read-only mount shows exactly the source tree.
 */
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceTree } from '@fstool/fs';
import { COPY_FIELDS, haveTools, mustRun, pick, snapshotTree, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, fsck } from './helpers.js';
import { deepPath, ISLAND, islandBytes, makeHostTree, SPARSE, scanOnce } from './host-tree.js';

const MiB = 2 ** 20;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot || !haveTools('e2fsck', 'debugfs', 'mknod', 'python3', 'truncate'))('acceptance tree', () => {
  const tmp = tempDir('fstool-ext-tree-');
  const src = tmp.join('src');
  let tree: () => SourceTree;
  let expected: ReturnType<typeof pick>;

  beforeAll(async () => {
    mustRun('mkdir', [src]);
    makeHostTree(src);
    tree = await scanOnce(src);
    expected = pick(snapshotTree(src, { ignore: ['/sparse'] }), COPY_FIELDS);
  });
  afterAll(() => tmp.cleanup());

  for (const type of ['ext2', 'ext3', 'ext4']) {
    for (const blockSize of [1024, 4096]) {
      it(`${type}, ${blockSize}-byte blocks: e2fsck clean, mount matches the source`, async (ctx) => {
        const img = tmp.join(`${type}-${blockSize}.img`);
        const warnings: string[] = [];
        const report = await buildImage(img, tree(), type, { blockSize }, 96 * MiB, (m) => warnings.push(m));
        expect(warnings).toEqual([]);
        const r = fsck(img);
        expect(r.code, r.out).toBe(0);
        expect(report.details.features).toContain('dir_index');
        expect(mustRun('debugfs', ['-R', 'htree /big', img])).toMatch(/Indirect levels: [01]/);
        const mounted = await withLoopMount(img, (mnt) => {
          const got = pick(snapshotTree(mnt, { ignore: ['/lost+found', '/sparse'] }), COPY_FIELDS);
          expect(got).toEqual(expected);
          expect(lstatSync(join(mnt, 'deep', deepPath, 'leaf.txt')).size).toBe(5);
          // Sparse files keep their size and holes: only the islands (and a few mapping blocks) are allocated.
          for (const [path, s] of Object.entries(SPARSE)) {
            const st = lstatSync(join(mnt, path));
            expect(st.size).toBe(s.size);
            expect(st.blocks * 512).toBeLessThan(s.islands.length * ISLAND + 64 * blockSize);
            const fd = openSync(join(mnt, path), 'r');
            try {
              s.islands.forEach((off, i) => {
                const buf = Buffer.alloc(ISLAND);
                readSync(fd, buf, 0, ISLAND, off);
                expect(buf.equals(islandBytes(path, i)), `${path} island ${i}`).toBe(true);
              });
              const gap = Buffer.alloc(4096);
              readSync(fd, gap, 0, 4096, s.islands[0]! + ISLAND + 4096);
              expect(gap.every((b) => b === 0)).toBe(true);
            } finally {
              closeSync(fd);
            }
          }
          return true;
        });
        // Not permitted here (and not CI, where withLoopMount throws): the mount half is skipped.
        if (mounted === undefined) ctx.skip();
      });
    }
  }
});
