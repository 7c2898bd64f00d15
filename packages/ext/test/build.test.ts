/** The writer over in-memory trees, judged by e2fsck, dumpe2fs and debugfs. */

import { type Entry, treeFromEntries } from '@fstool/fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, dir, file, fsck, sha256 } from './helpers.js';

const MiB = 2 ** 20;

function smallTree(): Entry[] {
  const entries: Entry[] = [
    file('/a.txt', 'hello\n'),
    dir('/d', { uid: 1, gid: 1 }),
    { path: '/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1000, size: 5, target: 'a.txt' },
  ];
  for (let i = 0; i < 1000; i++) entries.push(file(`/d/f${i}`, `${i}\n`));
  return entries;
}

describe.skipIf(!haveTools('e2fsck', 'dumpe2fs', 'debugfs'))('ext writer', () => {
  const tmp = tempDir('fstool-ext-build-');
  afterAll(() => tmp.cleanup());

  for (const type of ['ext2', 'ext3', 'ext4']) {
    for (const blockSize of [1024, 4096]) {
      it(`${type} with ${blockSize}-byte blocks passes e2fsck -fn`, async () => {
        const img = tmp.join(`${type}-${blockSize}.img`);
        const report = await buildImage(img, treeFromEntries(smallTree()), type, { blockSize }, 32 * MiB);
        expect(report.type).toBe(type);
        const r = fsck(img);
        expect(r.out).toContain('Pass 5');
        expect(r.code, r.out).toBe(0);
        const features = /Filesystem features:\s+(.*)/.exec(mustRun('dumpe2fs', ['-h', img]))?.[1]?.split(' ') ?? [];
        expect(features.includes('has_journal')).toBe(type !== 'ext2');
        expect(features.includes('extent')).toBe(type === 'ext4');
        expect(features.includes('metadata_csum')).toBe(type === 'ext4');
        expect(mustRun('debugfs', ['-R', 'htree /d', img])).toContain('Indirect levels: 0');
      });
    }
  }

  it('is byte-identical when rebuilt with the same inputs', async () => {
    const a = tmp.join('same-a.img');
    const b = tmp.join('same-b.img');
    await buildImage(a, treeFromEntries(smallTree()), 'ext4', {}, 16 * MiB);
    await buildImage(b, treeFromEntries(smallTree()), 'ext4', {}, 16 * MiB);
    expect(sha256(a)).toBe(sha256(b));
  });
});
