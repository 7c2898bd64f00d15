import { readFileSync, writeFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import { IsDirectoryError, NotDirectoryError, NotFoundError, UnsupportedError } from '@fstool/fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumError, openExt, probeExt } from '../src/read/index.js';
import { closeOpened, makeImage, makeSourceTree, openDevice, sha256Of } from './read-fixtures.js';

afterAll(closeOpened);

/** `Key: value` lines of dumpe2fs -h. */
function dumpe2fs(img: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of mustRun('dumpe2fs', ['-h', img]).split('\n')) {
    const m = /^([^:]+):\s+(.*)$/.exec(line);
    if (m) out[(m[1] as string).trim()] = (m[2] as string).trim();
  }
  return out;
}

async function memoryImage(path: string): Promise<MemoryDevice> {
  const bytes = readFileSync(path);
  const dev = new MemoryDevice(bytes.length);
  await dev.write(0, bytes);
  return dev;
}

describe.skipIf(!haveTools('mke2fs', 'dumpe2fs', 'debugfs', 'mknod', 'python3'))(
  'ext reader: info, errors, xattrs',
  () => {
    const tmp = tempDir('ext-info-');
    const src = tmp.join('tree');
    const img = tmp.join('a.img');

    beforeAll(() => {
      makeSourceTree(src, { bigDir: 50 });
      makeImage(img, src, { type: 'ext4', args: ['-b', '4096', '-L', 'rootfs'], size: '96M' });
      writeFileSync(tmp.join('big-value'), 'v'.repeat(3000));
      mustRun('debugfs', ['-w', '-R', 'ea_set /etc/hostname user.small hello', img]);
      mustRun('debugfs', ['-w', '-R', `ea_set -f ${tmp.join('big-value')} /etc/hostname user.big`, img]);
      mustRun('e2fsck', ['-fn', img]);
    });
    afterAll(() => tmp.cleanup());

    it('info() agrees with dumpe2fs', async () => {
      const fs = await openExt(await openDevice(img), { writable: false });
      const info = await fs.info();
      const d = dumpe2fs(img);
      expect(info.type).toBe('ext4');
      expect(fs.type).toBe('ext4');
      expect(info.label).toBe('rootfs');
      expect(info.uuid).toBe(d['Filesystem UUID']);
      expect(info.blockSize).toBe(Number(d['Block size']));
      expect(info.blocks).toBe(Number(d['Block count']));
      expect(info.freeBlocks).toBe(Number(d['Free blocks']));
      expect(info.inodes).toBe(Number(d['Inode count']));
      expect(info.freeInodes).toBe(Number(d['Free inodes']));
      expect(new Set(info.features)).toEqual(new Set(d['Filesystem features']?.split(/\s+/)));
      expect(info.journal).toMatchObject({ inode: 8, state: 'clean' });
      expect(info.state).toBe('clean');
      expect(typeof info.created).toBe('string');
      await fs.close();
    });

    it('reports ext2 and ext3 kinds', async () => {
      for (const type of ['ext2', 'ext3']) {
        const p = tmp.join(`${type}.img`);
        makeImage(p, src, { type, size: '96M' });
        const fs = await openExt(await openDevice(p), { writable: false });
        expect((await fs.info()).type).toBe(type);
        expect((await fs.info()).journal === undefined).toBe(type === 'ext2');
      }
    });

    it('stat, list, read: xattrs in inode and block, hard links, symlinks, errors', async () => {
      const fs = await openExt(await openDevice(img), { writable: false });
      const host = await fs.stat('/etc/hostname');
      expect(host.xattrs?.get('user.small')).toEqual(new TextEncoder().encode('hello'));
      expect(host.xattrs?.get('user.big')?.length).toBe(3000);
      expect(host.linkId).toBe((await fs.stat('/data/hostname-hard')).linkId);
      expect(host.nlink).toBe(2);
      const src = host.open?.();
      const buf = new Uint8Array(100);
      expect(await src?.read(0, buf)).toBe(7);
      expect(new TextDecoder().decode(buf.subarray(0, 7))).toBe('fstool\n');
      expect((await fs.list('/')).map((e) => e.path)).toEqual([
        '/data',
        '/dev',
        '/empty',
        '/etc',
        '/fast-link',
        '/lost+found',
        '/many',
        '/slow-link',
      ]);
      const far = (await fs.stat('/data/far')).open?.();
      expect(await far?.holes?.()).toEqual([
        [4096, 69 * 2 ** 20 - 4096],
        [69 * 2 ** 20 + 8192, 70 * 2 ** 20 - 69 * 2 ** 20 - 8192],
      ]);
      expect((await fs.stat('/fast-link')).target).toBe('etc/hostname');
      expect(await sha256Of(fs, '/fast-link')).toBe(await sha256Of(fs, '/etc/hostname'));
      expect((await fs.stat('/dev/sda1')).rdev).toEqual({ major: 8, minor: 1 });
      await expect(fs.stat('/nope/x')).rejects.toThrow(NotFoundError);
      await expect(fs.list('/etc/hostname')).rejects.toThrow(NotDirectoryError);
      await expect(fs.stat('/etc/hostname/x')).rejects.toThrow(NotDirectoryError);
      await expect(sha256Of(fs, '/etc')).rejects.toThrow(IsDirectoryError);
      await expect(
        fs.add('/x', { path: '/x', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 }),
      ).rejects.toThrow(/read-only/);
    });

    it('a journal needing recovery: reads with a warning, refuses writes', async () => {
      const p = tmp.join('recover.img');
      writeFileSync(p, readFileSync(img));
      mustRun('debugfs', ['-w', '-R', 'feature needs_recovery', p]);
      const fs = await openExt(await openDevice(p), { writable: false });
      expect(fs.warnings.join('\n')).toMatch(/journal needs recovery/);
      expect((await fs.info()).journal).toMatchObject({ state: 'needs recovery' });
      expect(await sha256Of(fs, '/etc/hostname')).toBeTruthy();
      await expect(openExt(await openDevice(p, { writable: true }), { writable: true })).rejects.toThrow(
        /journal needs recovery/,
      );
    });

    it('refuses unsupported incompatible features by name', async () => {
      const dev = await memoryImage(img);
      const word = new Uint8Array(4);
      await dev.read(1024 + 0x60, word);
      word[1] = (word[1] as number) | 0x10; // INCOMPAT_DIRDATA (0x1000)
      await dev.write(1024 + 0x60, word);
      await expect(openExt(dev, { writable: false })).rejects.toThrow(UnsupportedError);
      await expect(openExt(dev, { writable: false })).rejects.toThrow(/dirdata/);
    });

    it('an inode checksum mismatch is an error, or a warning with ignoreChecksums', async () => {
      const dev = await memoryImage(img);
      const fs0 = await openExt(dev, { writable: false });
      const ino = Number(/Inode: (\d+)/.exec(mustRun('debugfs', ['-R', 'stat /etc/hostname', img]))?.[1]);
      const sb = await fs0.info();
      // Inode table of group 0 from dumpe2fs; flip a byte of the inode's atime.
      const table = Number(/Inode table at (\d+)/.exec(mustRun('dumpe2fs', [img]))?.[1]);
      const off = table * (sb.blockSize as number) + (ino - 1) * 256 + 0x08;
      const b = new Uint8Array(1);
      await dev.read(off, b);
      b[0] = (b[0] as number) ^ 0x55;
      await dev.write(off, b);
      const strict = await openExt(dev, { writable: false });
      await expect(strict.stat('/etc/hostname')).rejects.toThrow(ChecksumError);
      const lax = await openExt(dev, { writable: false, ignoreChecksums: true });
      expect((await lax.stat('/etc/hostname')).kind).toBe('file');
      expect(lax.warnings.join('\n')).toMatch(new RegExp(`inode ${ino} checksum`));
    });

    it('probeExt is false for other data and for external journal devices', async () => {
      expect(await probeExt(new MemoryDevice(1 << 20))).toBe(false);
      expect(await probeExt(new MemoryDevice(100))).toBe(false);
      const journal = tmp.join('journal.img');
      mustRun('mke2fs', ['-q', '-F', '-O', 'journal_dev', '-b', '4096', journal, '8M']);
      expect(await probeExt(await memoryImage(journal))).toBe(false);
    });
  },
);
