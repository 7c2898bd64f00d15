/**
 * Reproducible across hosts: the same tree copied differently (another source filesystem, so
 * another readdir order and other ctimes/atimes, under another TZ and umask) and made
 * host-independent with @fstool/fs's `reproducible` gives byte-identical images.
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reproducible } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, fsck, sha256 } from './helpers.js';

const MiB = 2 ** 20;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot || !haveTools('mount', 'umount', 'cp', 'python3', 'mknod'))('reproducible across hosts', () => {
  const tmp = tempDir('fstool-ext-repro-');
  const src = tmp.join('src');
  const mnt = tmp.join('tmpfs');
  let mounted = false;

  beforeAll(() => {
    mkdirSync(join(src, 'dir', 'sub'), { recursive: true });
    for (let i = 0; i < 400; i++) writeFileSync(join(src, 'dir', `f${(i * 37) % 400}-${i}`), `${i}`.repeat(i));
    writeFileSync(join(src, 'dir', 'sub', 'x'), 'x');
    linkSync(join(src, 'dir', 'sub', 'x'), join(src, 'hard'));
    symlinkSync('dir/sub/x', join(src, 'link'));
    mustRun('mknod', [join(src, 'null'), 'c', '1', '3']);
    mustRun('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.k", b"v")', join(src, 'hard')]);
    mustRun('truncate', ['-s', '64M', join(src, 'sparse')]);
    mkdirSync(mnt);
    mustRun('mount', ['-t', 'tmpfs', 'tmpfs', mnt]);
    mounted = true;
    const r = spawnSync('sh', ['-c', `umask 077; cp -a "${src}" "${mnt}/copy"`], {
      env: { ...process.env, TZ: 'Asia/Tokyo' },
    });
    if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr}`);
  });
  afterAll(() => {
    if (mounted) mustRun('umount', [mnt]);
    tmp.cleanup();
  });

  for (const type of ['ext2', 'ext4']) {
    for (const fixed of [false, true]) {
      it(`${type}, ${fixed ? '--mtime' : 'SOURCE_DATE_EPOCH'}: byte-identical images from both copies`, async () => {
        const build = async (dir: string, name: string) => {
          const tree = reproducible(scanDirectory(dir, { xattrs: 'user' }), { epoch: 1_700_000_000, fixed });
          const img = tmp.join(name);
          await buildImage(img, tree, type, {}, 32 * MiB);
          expect(fsck(img).code).toBe(0);
          return sha256(img);
        };
        expect(await build(join(mnt, 'copy'), 'b.img')).toBe(await build(src, 'a.img'));
      });
    }
  }
});
