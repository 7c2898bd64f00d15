import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { InvalidPathError, IsDirectoryError, NotDirectoryError, NotEmptyError, NotFoundError } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';
import { haveTools, mustRun, snapshotTree, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { extDriver } from '../src/driver.js';
import { openExt } from '../src/read/index.js';
import {
  addHost,
  copyTree,
  expectMountedEquals,
  fileEntry,
  fsckClean,
  putDir,
  putFile,
  putSymlink,
  removeBoth,
} from './edit-helpers.js';
import { closeOpened, makeImage, makeSourceTree, noise, openDevice } from './read-fixtures.js';

afterAll(closeOpened);

const variants = [
  { name: 'ext4 1 KiB', type: 'ext4', args: ['-b', '1024'] },
  { name: 'ext4 4 KiB', type: 'ext4', args: ['-b', '4096'] },
  { name: 'ext4 ^extents', type: 'ext4', args: ['-b', '1024', '-O', '^extents,^64bit'] },
  { name: 'ext3 1 KiB', type: 'ext3', args: ['-b', '1024'] },
  { name: 'ext2 4 KiB', type: 'ext2', args: ['-b', '4096'] },
  { name: 'ext4 uninit_bg', type: 'ext4', args: ['-b', '1024', '-O', '^metadata_csum,uninit_bg'] },
  { name: 'ext4 inline_data', type: 'ext4', args: ['-b', '4096', '-O', 'inline_data'] },
  { name: 'ext4 large_dir', type: 'ext4', args: ['-b', '1024', '-O', 'large_dir'] },
  { name: 'ext4 built by our writer', type: 'ext4', args: [], writer: true },
  { name: 'ext2 built by our writer', type: 'ext2', args: [], writer: true },
];

/** Builds an image of `src` with this package's own writer. */
async function buildWithWriter(img: string, src: string, type: string): Promise<void> {
  const dev = await FileDevice.create(img, { size: 96 * 2 ** 20 });
  await extDriver.build(dev, scanDirectory(src, { xattrs: 'none' }), { zeroed: true }, { type });
  await dev.close();
}

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'dumpe2fs', 'mknod', 'python3'))('editing images in place', () => {
  const tmp = tempDir('ext-edit-');
  afterAll(() => tmp.cleanup());

  for (const v of variants) {
    it(`${v.name}: add, replace, mkdir, symlinks, rm -r; e2fsck clean and the mounted tree matches`, async () => {
      const src = tmp.join(`${v.name}-src`.replace(/\W+/g, '_'));
      const mirror = tmp.join(`${v.name}-mirror`.replace(/\W+/g, '_'));
      const img = tmp.join(`${v.name}.img`.replace(/[^\w.]+/g, '_'));
      makeSourceTree(src, { bigDir: 60 });
      copyTree(src, mirror);
      if ('writer' in v) await buildWithWriter(img, src, v.type);
      else makeImage(img, src, { type: v.type, args: v.args, size: '96M' });
      const fs = await openExt(await openDevice(img, { writable: true }), { writable: true });
      await putFile(fs, mirror, '/new.txt', new TextEncoder().encode('hello\n'));
      await putFile(fs, mirror, '/etc/hostname', noise(200_000, 77)); // replace with a bigger file
      await putFile(fs, mirror, '/etc/empty', new Uint8Array(0));
      await removeBoth(fs, mirror, '/etc/conf.d/60');
      await putFile(fs, mirror, '/etc/conf.d/new', noise(10, 1));
      await putDir(fs, mirror, '/newdir');
      await putDir(fs, mirror, '/newdir/sub');
      await putFile(fs, mirror, '/newdir/sub/deep.bin', noise(70_000, 5));
      await putSymlink(fs, mirror, '/newdir/fast', '../new.txt');
      await putSymlink(fs, mirror, '/newdir/slow', `${'x/'.repeat(50)}y`);
      await removeBoth(fs, mirror, '/data');
      await removeBoth(fs, mirror, '/fast-link');
      await addHost(fs, tmp.join(`${v.name}-src`.replace(/\W+/g, '_'), 'etc'), '/etc-copy');
      copyTree(tmp.join(`${v.name}-src`.replace(/\W+/g, '_'), 'etc'), `${mirror}/etc-copy`);
      for (let i = 0; i < 120; i++) await putFile(fs, mirror, `/many/added-${i}`, noise(i * 13, i));
      await fs.close();
      fsckClean(img);
      await expectMountedEquals(img, mirror);
    });
  }
});

describe.skipIf(!haveTools('mke2fs', 'e2fsck'))('editor: extended attributes', () => {
  const tmp = tempDir('ext-edit-x-');
  afterAll(() => tmp.cleanup());

  it('writes xattrs in the inode and in a block; the kernel and our reader see them', async () => {
    const img = tmp.join('x.img');
    const empty = tmp.join('empty');
    mkdirSync(empty);
    makeImage(img, empty, { type: 'ext4', args: ['-b', '4096'], size: '32M' });
    const dev = await FileDevice.open(img, { writable: true });
    const fs = await openExt(dev, { writable: true });
    const xattrs = new Map([
      ['user.small', new TextEncoder().encode('hello')],
      ['user.big', noise(2000, 1)],
      ['trusted.t', new TextEncoder().encode('t')],
    ]);
    await fs.add('/x', { ...fileEntry('/x', noise(100, 2)), xattrs });
    await fs.close();
    await dev.close();
    fsckClean(img);
    const ro = await openExt(await openDevice(img), { writable: false });
    expect((await ro.stat('/x')).xattrs).toEqual(xattrs);
    const got = await withLoopMount(img, (mnt) => snapshotTree(mnt, { xattrs: true }).find((r) => r.path === '/x'));
    if (got) {
      expect(got.xattrs?.['user.small']).toBe(Buffer.from('hello').toString('hex'));
      expect(got.xattrs?.['user.big']).toBe(Buffer.from(noise(2000, 1)).toString('hex'));
    }
  });
});

describe.skipIf(!haveTools('mke2fs', 'e2fsck'))('editor: API behaviour', () => {
  const tmp = tempDir('ext-edit-api-');
  afterAll(() => tmp.cleanup());

  it('mkdirp, concurrent adds, hard links by linkId, typed errors', async () => {
    const img = tmp.join('api.img');
    const mirror = tmp.join('mirror');
    mkdirSync(mirror);
    makeImage(img, mirror, { type: 'ext4', args: ['-b', '1024'], size: '16M' });
    const dev = await FileDevice.open(img, { writable: true });
    const fs = await openExt(dev, { writable: true, now: 1_750_000_000 });
    await fs.mkdirp('/a/b/c');
    await fs.mkdirp('/a/b/c/d');
    mkdirSync(`${mirror}/a/b/c/d`, { recursive: true });
    await Promise.all(Array.from({ length: 40 }, (_, i) => putFile(fs, mirror, `/a/b/f${i}`, noise(i * 100, i))));
    const data = noise(5000, 9);
    await fs.add('/a/h1', { ...fileEntry('/a/h1', data), linkId: 'L' });
    await fs.add('/a/b/h2', { ...fileEntry('/a/b/h2', data), linkId: 'L' });
    writeFileSync(`${mirror}/a/h1`, data);
    linkSync(`${mirror}/a/h1`, `${mirror}/a/b/h2`);
    await expect(fs.add('/missing/x', fileEntry('/missing/x', data))).rejects.toThrow(NotFoundError);
    await expect(fs.add('/a/b', fileEntry('/a/b', data))).rejects.toThrow(IsDirectoryError);
    await expect(fs.add('/a/h1/x', fileEntry('/a/h1/x', data))).rejects.toThrow(NotDirectoryError);
    await expect(fs.remove('/a')).rejects.toThrow(NotEmptyError);
    await expect(fs.remove('/')).rejects.toThrow(InvalidPathError);
    await expect(fs.remove('/nope')).rejects.toThrow(NotFoundError);
    expect((await fs.stat('/a/h1')).nlink).toBe(2);
    expect((await fs.stat('/a/b/c')).mtime).toBe(1_750_000_000);
    // An open editing session marks the filesystem not clean; close marks it clean again.
    expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/Filesystem state:\s+not clean/);
    await fs.close();
    expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/Filesystem state:\s+clean/);
    await dev.close();
    fsckClean(img);
    await expectMountedEquals(img, mirror);
  });

  it('refuses to open read-only devices and images with a dirty journal for writing', async () => {
    const img = tmp.join('ro.img');
    const empty = tmp.join('ro');
    mkdirSync(empty);
    makeImage(img, empty, { type: 'ext4', size: '16M' });
    const dev = await FileDevice.open(img);
    await expect(openExt(dev, { writable: true })).rejects.toThrow(/read-only/);
    await dev.close();
  });
});
