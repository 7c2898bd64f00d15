import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { InvalidArgumentError, MemoryDevice } from '@fstool/blockdev';
import { InvalidPathError, NoSpaceError, treeFromEntries, UnsupportedError } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';
import { haveTools, pick, snapshotTree, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fatDriver } from '../src/index.js';
import { TRICKY_NAMES, writeMixedTree } from './fixtures.js';
import { buildImage, fsck, mtool, patternSource, sha256Source } from './helpers.js';

const tmp = tempDir('fstool-fat-');
const src = tmp.join('src');
afterAll(() => tmp.cleanup());
beforeAll(() => writeMixedTree(src));

/** The tree as mtools extracts it must equal the source: names, kinds, sizes, contents, mtimes (2 s). */
function expectExtractedEqual(image: string, name: string): void {
  const out = tmp.join(`out-${name}`);
  mkdirSync(out);
  const r = mtool('mcopy', ['-s', '-m', '-i', image, '::*', `${out}/`]);
  expect(r.code, r.out).toBe(0);
  const fields = ['path', 'kind', 'size', 'sha256'] as const;
  const a = snapshotTree(src, { xattrs: false });
  const b = snapshotTree(out, { xattrs: false });
  expect(pick(b, [...fields])).toEqual(pick(a, [...fields]));
  const times = (recs: typeof a) =>
    recs.filter((x) => x.kind === 'file').map((x) => [x.path, Number(x.mtimeNs / 2_000_000_000n)]);
  expect(times(b)).toEqual(times(a));
}

function expectListed(image: string): void {
  const r = mtool('mdir', ['-/', '-a', '-i', image, '::']);
  expect(r.code, r.out).toBe(0);
  for (const name of TRICKY_NAMES) {
    const m = /^([^.]{1,8})(?:\.(.{1,3}))?$/.exec(name);
    const short = m ? `${(m[1] as string).toUpperCase().padEnd(8)} ${(m[2] ?? '').toUpperCase().padEnd(3)}` : '';
    const found =
      r.out.includes(` ${name}\n`) ||
      (m !== null && (r.out.toLowerCase().includes(short.toLowerCase()) || r.out.includes(name)));
    expect(found, `${name} in mdir output`).toBe(true);
  }
  for (let i = 0; i < 1000; i += 97) expect(r.out).toContain(`file number ${i}.dat`);
}

describe.skipIf(!haveTools('fsck.vfat', 'mcopy', 'mdir'))('build judged by dosfstools and mtools', () => {
  const cases = [
    { name: 'fat12', type: 'fat12', size: 0 },
    { name: 'fat16', type: 'fat16', size: 64 * 2 ** 20 },
    { name: 'fat32', type: 'fat32', size: 80 * 2 ** 20 },
    { name: 'auto-600M', type: 'vfat', size: 600 * 2 ** 20 },
  ];
  for (const c of cases) {
    it(`${c.name}: fsck clean, every name listed, mcopy gives the source tree back`, async () => {
      const image = tmp.join(`${c.name}.img`);
      const tree = scanDirectory(src, { xattrs: 'none' });
      const size = c.size || (await fatDriver.minimumSize(tree, { headroom: 0.05 }, { type: c.type }));
      const report = await buildImage(image, size, tree, { label: 'Fstool Test' }, c.type);
      expect(report.type).toBe(c.type === 'vfat' ? 'fat32' : c.type);
      const check = fsck(image);
      expect(check.code, check.out).toBe(0);
      expectListed(image);
      expectExtractedEqual(image, c.name);
      const label = mtool('mlabel', ['-s', '-i', image, '::']);
      expect(label.out).toContain('FSTOOL TEST');
      expect(mtool('mattrib', ['-i', image, '::/readonly.txt']).out).toMatch(/^\s*A\s+R\s+::\/readonly\.txt/);
    });
  }

  it('a FAT16 root directory grows past 512 entries when the tree needs it', async () => {
    const files = Array.from({ length: 400 }, (_, i) => ({
      path: `/root level file ${i}`,
      kind: 'file' as const,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: 1,
      open: () => patternSource(1),
    }));
    const image = tmp.join('bigroot.img');
    const r = await buildImage(image, 16 * 2 ** 20, treeFromEntries(files), {}, 'fat16');
    expect(r.details.rootEntries).toBeGreaterThanOrEqual(1200);
    const check = fsck(image);
    expect(check.code, check.out).toBe(0);
    expect(mtool('mdir', ['-b', '-i', image, '::']).out.trim().split('\n')).toHaveLength(400);
  });

  it('FAT types follow mkfs.fat: FAT12 small, FAT16 mid, FAT32 from 512 MiB', async () => {
    const empty = treeFromEntries([]);
    const kinds: Array<[number, string, number]> = [
      [4 * 2 ** 20, 'fat12', 2048],
      [32 * 2 ** 20, 'fat16', 2048],
      [256 * 2 ** 20, 'fat16', 4096],
      [512 * 2 ** 20, 'fat32', 4096],
    ];
    for (const [size, type, cluster] of kinds) {
      const dev = new MemoryDevice(size);
      const r = await fatDriver.build(dev, empty, {}, { type: 'vfat' });
      expect([r.type, r.details.clusterSize]).toEqual([type, cluster]);
    }
  });

  it('streams a 100 MB file into FAT16 and FAT32', async () => {
    const size = 100 * 2 ** 20 + 123;
    const entries = [
      {
        path: '/big.bin',
        kind: 'file' as const,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        size,
        open: () => patternSource(size, 42),
      },
    ];
    const expected = sha256Source(patternSource(size, 42), size);
    for (const type of ['fat16', 'fat32']) {
      const image = tmp.join(`big-${type}.img`);
      await buildImage(image, 160 * 2 ** 20, treeFromEntries(entries), {}, type);
      const check = fsck(image);
      expect(check.code, check.out).toBe(0);
      const out = tmp.join(`big-${type}.out`);
      expect(mtool('mcopy', ['-i', image, '::/big.bin', out]).code).toBe(0);
      const h = createHash('sha256');
      for await (const chunk of createReadStream(out)) h.update(chunk);
      expect(h.digest('hex')).toBe(expected);
    }
  });
});

describe('reproducible output', () => {
  it('same tree and options give the same bytes, whatever the host TZ', async () => {
    const digest = async (tz: string) => {
      process.env.TZ = tz;
      const image = tmp.join(`repro-${tz.replace('/', '_')}.img`);
      await buildImage(image, 20 * 2 ** 20, scanDirectory(src, { xattrs: 'none' }), {
        label: 'R',
        volumeId: 0xdeadbeef,
      });
      return execFileSync('sha256sum', [image]).toString().split(' ')[0];
    };
    const saved = process.env.TZ;
    try {
      const a = await digest('UTC');
      const b = await digest('America/New_York');
      expect(b).toBe(a);
      expect(await digest('Asia/Kolkata', true)).toBe(a); // a fresh sparse file reads as zeros
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('what FAT cannot hold', () => {
  const base = { mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0 };
  it('skips symlinks, fifos and extra hard links with a warning naming the path, or fails when strict', async () => {
    const data = new TextEncoder().encode('x');
    const open = () => patternSource(1);
    const tree = treeFromEntries([
      { ...base, path: '/link', kind: 'symlink', target: 'x', size: 1 },
      { ...base, path: '/pipe', kind: 'fifo' },
      { ...base, path: '/a', kind: 'file', size: data.length, linkId: 'L', open },
      { ...base, path: '/b', kind: 'file', size: data.length, linkId: 'L', open },
    ]);
    const warnings: string[] = [];
    const r = await fatDriver.build(
      new MemoryDevice(2 ** 20),
      tree,
      {},
      { type: 'vfat', onWarning: (w) => warnings.push(w) },
    );
    expect(r.entries).toBe(2);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/\/b.*hard link[\s\S]*\/link.*symlink[\s\S]*\/pipe.*fifo/);
    await expect(fatDriver.build(new MemoryDevice(2 ** 20), tree, { strict: true }, { type: 'vfat' })).rejects.toThrow(
      UnsupportedError,
    );
  });

  it('refuses names with characters FAT forbids, naming the path', async () => {
    for (const bad of ['a:b', 'what?', 'x*y', 'tab\there', 'pipe|', 'trailing.']) {
      const tree = treeFromEntries([
        { ...base, path: '/d', kind: 'dir' },
        { ...base, path: `/d/${bad}`, kind: 'file' },
      ]);
      const err = await fatDriver.build(new MemoryDevice(2 ** 20), tree, {}, { type: 'vfat' }).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidPathError);
      expect(err.path).toBe(`/d/${bad}`);
      expect(err.message).toContain(JSON.stringify(`/d/${bad}`));
    }
  });

  it('a tree too big for the device is refused before writing, with the minimum size', async () => {
    const tree = scanDirectory(src, { xattrs: 'none' });
    const dev = new MemoryDevice(2 * 2 ** 20);
    const err = await fatDriver.build(dev, tree, {}, { type: 'vfat' }).catch((e) => e);
    expect(err).toBeInstanceOf(NoSpaceError);
    const min = await fatDriver.minimumSize(tree, {}, { type: 'vfat' });
    expect(err.message).toContain(`minimum size is ${min} bytes`);
    expect(dev.bytes().every((b) => b === 0)).toBe(true);
    await fatDriver.build(new MemoryDevice(min), tree, {}, { type: 'vfat' });
  });

  it('a size outside the range of the requested FAT type is an error with the range', async () => {
    const empty = treeFromEntries([]);
    await expect(fatDriver.build(new MemoryDevice(2 ** 20), empty, {}, { type: 'fat32' })).rejects.toThrow(
      /FAT32 needs a volume from [\d.]+ MiB \(\d+ bytes\) to 2 TiB \(\d+ bytes\); got 1 MiB$/,
    );
    await expect(fatDriver.build(new MemoryDevice(2 ** 20), empty, { fatType: 16 }, { type: 'vfat' })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(fatDriver.build(new MemoryDevice(2 ** 20), empty, { label: 'a/b' }, { type: 'vfat' })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});
