/** The writer over in-memory trees, judged by e2fsck, dumpe2fs and debugfs. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type BlockDevice, MemoryDevice } from '@fstool/blockdev';
import { bytesSource, type Entry, NoSpaceError, treeFromEntries } from '@fstool/fs';
import { haveTools, mustRun, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { extDriver } from '../src/driver.js';
import { buildImage, dir, file, fsck, SEED, sha256, UUID } from './helpers.js';

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

  for (const [type, opts] of [
    ['ext4', { blockSize: 2048 }],
    ['ext3', { blockSize: 2048 }],
    ['ext4', { inodeSize: 128 }],
    ['ext4', { features: '-flex_bg,-64bit,-metadata_csum,+uninit_bg' }],
    ['ext4', { features: '-resize_inode,-sparse_super' }],
    ['ext4', { features: '+metadata_csum_seed' }],
    ['ext2', { features: '-filetype,-dir_index' }],
    ['ext3', { features: '-ext_attr', journalSize: 2 * MiB }],
    ['ext4', { inodeRatio: 32768, reservedPercent: 0 }],
  ] as const) {
    it(`${type} with ${JSON.stringify(opts)} passes e2fsck -fn`, async () => {
      const img = tmp.join('variant.img');
      await buildImage(img, treeFromEntries(smallTree()), type, opts, 40 * MiB);
      const r = fsck(img);
      expect(r.code, r.out).toBe(0);
    });
  }

  it('is byte-identical when rebuilt with the same inputs', async () => {
    const a = tmp.join('same-a.img');
    const b = tmp.join('same-b.img');
    await buildImage(a, treeFromEntries(smallTree()), 'ext4', {}, 16 * MiB);
    await buildImage(b, treeFromEntries(smallTree()), 'ext4', {}, 16 * MiB);
    expect(sha256(a)).toBe(sha256(b));
  });
});

describe.skipIf(!haveTools('e2fsck', 'dumpe2fs', 'debugfs'))('ext writer edge cases', () => {
  const tmp = tempDir('fstool-ext-edge-');
  afterAll(() => tmp.cleanup());

  it('writes everything on a device that is not zeroed (garbage underneath)', async () => {
    const dev = new MemoryDevice(8 * MiB);
    dev.bytes().fill(0xa5);
    await extDriver.build(dev, treeFromEntries(smallTree()), { uuid: UUID, hashSeed: SEED }, { type: 'ext4' });
    const boot = dev.bytes().subarray(0, 1024);
    expect(boot.every((b) => b === 0)).toBe(true);
    const img = tmp.join('garbage.img');
    writeFileSync(img, dev.bytes());
    const r = fsck(img);
    expect(r.code, r.out).toBe(0);
  });

  it('refuses a tree that does not fit before writing anything, with the numbers', async () => {
    const big = new Uint8Array(3 * MiB);
    const entries = [file('/a', ''), { ...file('/big', ''), size: big.length, open: () => bytesSource(big) }];
    let writes = 0;
    const dev = new MemoryDevice(2 * MiB);
    const counting: BlockDevice = {
      size: dev.size,
      readOnly: false,
      read: (o, into) => dev.read(o, into),
      write: async () => void writes++,
      zero: async () => void writes++,
      flush: async () => {},
      close: async () => {},
    };
    const err = await extDriver.build(counting, treeFromEntries(entries), {}, { type: 'ext4' }).catch((e) => e);
    expect(err).toBeInstanceOf(NoSpaceError);
    expect(err.message).toMatch(/at least \d+ bytes, this one has 2097152/);
    expect(writes).toBe(0);
  });

  it('applies the -O style feature list and options (dumpe2fs)', async () => {
    const img = tmp.join('features.img');
    await buildImage(
      img,
      treeFromEntries(smallTree()),
      'ext4',
      {
        features: '-huge_file,^dir_nlink,+large_dir',
        label: 'fstool',
        inodeSize: 256,
        reservedPercent: 1,
        inodes: 4096,
      },
      16 * MiB,
    );
    expect(fsck(img).code).toBe(0);
    const h = mustRun('dumpe2fs', ['-h', img]);
    const features = /Filesystem features:\s+(.*)/.exec(h)?.[1]?.split(' ') ?? [];
    expect(features).toContain('large_dir');
    expect(features).not.toContain('huge_file');
    expect(features).not.toContain('dir_nlink');
    expect(h).toMatch(/Filesystem volume name:\s+fstool/);
    expect(h).toMatch(/Filesystem UUID:\s+01234567-89ab-cdef-0123-456789abcdef/);
    expect(h).toMatch(/Directory Hash Seed:\s+fedcba98-7654-3210-fedc-ba9876543210/);
    expect(Number(/Inode count:\s+(\d+)/.exec(h)?.[1])).toBe(4096);
    expect(Number(/Reserved block count:\s+(\d+)/.exec(h)?.[1])).toBe(Math.floor(16384 * 0.01));
  });

  it('warns (naming the path) about times a 128-byte inode cannot hold, and keeps them in 256-byte inodes', async () => {
    const late = [file('/future', 'x', { mtime: 2 ** 32 + 10, mtimeNsec: 5 })];
    const warnings: string[] = [];
    await buildImage(tmp.join('t128.img'), treeFromEntries(late), 'ext2', { inodeSize: 128 }, 8 * MiB, (m) =>
      warnings.push(m),
    );
    expect(warnings.join('\n')).toMatch(/\/future: a timestamp is outside/);
    expect(fsck(tmp.join('t128.img')).code).toBe(0);
    const w256: string[] = [];
    await buildImage(tmp.join('t256.img'), treeFromEntries(late), 'ext4', {}, 8 * MiB, (m) => w256.push(m));
    expect(w256).toEqual([]);
    expect(mustRun('debugfs', ['-R', 'stat /future', tmp.join('t256.img')])).toMatch(/mtime: 0x0000000a:00000015/);
  });

  it('builds a 100,000-entry directory with a two-level htree', async () => {
    const entries: Entry[] = [dir('/bigdir')];
    for (let i = 0; i < 100_000; i++) entries.push({ ...file(`/bigdir/file-number-${i}`, ''), size: 0 });
    const img = tmp.join('100k.img');
    await buildImage(img, treeFromEntries(entries), 'ext4', { blockSize: 1024 }, 160 * MiB);
    const r = fsck(img);
    expect(r.code, r.out).toBe(0);
    expect(mustRun('debugfs', ['-R', 'htree /bigdir', img])).toContain('Indirect levels: 1');
  });

  it('handles a directory with 70,000 subdirectories (dir_nlink)', async () => {
    const entries: Entry[] = [dir('/many')];
    for (let i = 0; i < 70_000; i++) entries.push(dir(`/many/d${i}`));
    const img = tmp.join('70k.img');
    await buildImage(img, treeFromEntries(entries), 'ext4', {}, 512 * MiB);
    const r = fsck(img);
    expect(r.code, r.out).toBe(0);
    expect(mustRun('debugfs', ['-R', 'stat /many', img])).toMatch(/Links: 1\b/);
  });

  it('is byte-identical for the same big tree', async () => {
    const entries: Entry[] = [dir('/x')];
    for (let i = 0; i < 3000; i++) entries.push(file(`/x/f${i}`, `content ${i}`.repeat(i % 50)));
    await buildImage(tmp.join('r1.img'), treeFromEntries(entries), 'ext3', {}, 32 * MiB);
    await buildImage(tmp.join('r2.img'), treeFromEntries(entries), 'ext3', {}, 32 * MiB);
    expect(sha256(tmp.join('r1.img'))).toBe(sha256(tmp.join('r2.img')));
  });
});

describe.skipIf(!haveTools('e2fsck', 'debugfs', 'python3'))('ext writer: holes, deep extent trees, ACLs', () => {
  const tmp = tempDir('fstool-ext-sparse-');
  afterAll(() => tmp.cleanup());

  // 10 MiB with a 1 KiB island every 16 KiB: 640 extents at 1 KiB blocks (an extent tree of depth 2).
  const SIZE = 10 * MiB;
  const byteAt = (p: number) => (p % 16384 < 1024 ? ((p * 31) & 0xff) | 1 : 0);
  const islands = (): Entry => ({
    ...file('/islands', ''),
    size: SIZE,
    open: () => {
      const readSync = (offset: number, into: Uint8Array) => {
        const n = Math.max(0, Math.min(into.length, SIZE - offset));
        for (let i = 0; i < n; i++) into[i] = byteAt(offset + i);
        return n;
      };
      return {
        readSync,
        read: async (o: number, into: Uint8Array) => readSync(o, into),
        holes: async () => Array.from({ length: SIZE / 16384 }, (_, i): [number, number] => [i * 16384 + 1024, 15360]),
        close: async () => {},
      };
    },
  });

  for (const type of ['ext2', 'ext4']) {
    it(`${type}: a file with 640 data islands keeps its holes and contents`, async () => {
      const img = tmp.join(`${type}.img`);
      await buildImage(img, treeFromEntries([islands()]), type, { blockSize: 1024 }, 16 * MiB);
      const r = fsck(img);
      expect(r.code, r.out).toBe(0);
      const stat = mustRun('debugfs', ['-R', 'stat /islands', img]);
      expect(Number(/Blockcount: (\d+)/.exec(stat)?.[1])).toBeLessThan(((SIZE / 16384) * 1024 * 1.1) / 512);
      if (type === 'ext4') expect(mustRun('debugfs', ['-R', 'ex /islands', img])).toMatch(/^\s*2\//m);
      const out = tmp.join(`${type}.out`);
      mustRun('debugfs', ['-R', `dump /islands ${out}`, img]);
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      const want = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i++) want[i] = byteAt(i);
      expect(got.equals(want)).toBe(true);
    });
  }

  it('stores POSIX ACLs in ext form; the kernel gives the same ACL back', async (ctx) => {
    // VFS form: version 2, then (tag, perm, id) for owner, user 1000, group owner, mask, other.
    const acl = Buffer.alloc(4 + 5 * 8);
    acl.writeUInt32LE(2, 0);
    [
      [1, 7, 0xffffffff],
      [2, 4, 1000],
      [4, 5, 0xffffffff],
      [0x10, 7, 0xffffffff],
      [0x20, 4, 0xffffffff],
    ].forEach(([tag, perm, id], i) => {
      acl.writeUInt16LE(tag as number, 4 + i * 8);
      acl.writeUInt16LE(perm as number, 6 + i * 8);
      acl.writeUInt32LE(id as number, 8 + i * 8);
    });
    const entry = file('/acl', 'x', { xattrs: new Map([['system.posix_acl_access', new Uint8Array(acl)]]) });
    const img = tmp.join('acl.img');
    await buildImage(img, treeFromEntries([entry]), 'ext4', {}, 8 * MiB);
    expect(fsck(img).code).toBe(0);
    const got = await withLoopMount(img, (mnt) =>
      mustRun('python3', [
        '-c',
        'import os,sys; print(os.getxattr(sys.argv[1], "system.posix_acl_access").hex())',
        `${mnt}/acl`,
      ]).trim(),
    );
    if (got === undefined) return ctx.skip();
    expect(got).toBe(acl.toString('hex'));
  });
});

describe('ext writer: bad options and tiny trees', () => {
  const dev = () => new MemoryDevice(4 * MiB);
  const ctx = { type: 'ext4' };
  it('refuses bad options with typed errors naming the problem', async () => {
    const tree = () => treeFromEntries(smallTree());
    await expect(extDriver.build(dev(), tree(), { blockSize: 8192 }, ctx)).rejects.toThrow(
      /block size must be 1024, 2048 or 4096/,
    );
    await expect(extDriver.build(dev(), tree(), { label: 'x'.repeat(17) }, ctx)).rejects.toThrow(
      /longer than 16 bytes/,
    );
    await expect(extDriver.build(dev(), tree(), { uuid: 'nope' }, ctx)).rejects.toThrow(/not a UUID/);
    await expect(extDriver.build(dev(), tree(), { features: '+bogus' }, ctx)).rejects.toThrow(
      /unknown ext feature "bogus"/,
    );
    await expect(extDriver.build(dev(), tree(), { features: '+bigalloc' }, ctx)).rejects.toThrow(
      /not supported by the writer/,
    );
    await expect(extDriver.build(dev(), tree(), {}, { type: 'ext5' })).rejects.toThrow(/unknown ext type/);
    const huge = [{ ...file('/big', ''), size: 3 * 2 ** 30, open: () => bytesSource(new Uint8Array(0)) }];
    await expect(
      extDriver.build(new MemoryDevice(4 * MiB), treeFromEntries(huge), { features: '-large_file' }, { type: 'ext2' }),
    ).rejects.toThrow(/\/big: 3221225472 bytes needs the large_file feature/);
    const tiny = new MemoryDevice(32 * 1024);
    await expect(extDriver.build(tiny, tree(), {}, ctx)).rejects.toBeInstanceOf(NoSpaceError);
  });

  it('builds an empty tree, and probe recognises the result', async () => {
    const d = dev();
    const report = await extDriver.build(d, treeFromEntries([]), { uuid: UUID, hashSeed: SEED }, ctx);
    expect(report.entries).toBe(1);
    expect(await extDriver.probe(d)).toBe(true);
    expect(await extDriver.probe(new MemoryDevice(4 * MiB))).toBe(false);
  });
});

describe.skipIf(!haveTools('e2fsck'))('ext writer: htree with non-ASCII names', () => {
  const tmp = tempDir('fstool-ext-utf8-');
  afterAll(() => tmp.cleanup());

  it('hashes bytes >= 0x80 as the signed variant the superblock announces (e2fsck and kernel lookups agree)', async (ctx) => {
    const names = Array.from({ length: 2000 }, (_, i) => `ü-${i}-日本語-ÿ`);
    const entries: Entry[] = [dir('/u'), ...names.map((n) => file(`/u/${n}`, n))];
    const img = tmp.join('utf8.img');
    await buildImage(img, treeFromEntries(entries), 'ext4', { blockSize: 1024 }, 16 * MiB);
    const r = fsck(img);
    expect(r.code, r.out).toBe(0);
    const found = await withLoopMount(img, (mnt) => names.filter((n) => existsSync(`${mnt}/u/${n}`)).length);
    if (found === undefined) return ctx.skip();
    expect(found).toBe(names.length);
  });
});
