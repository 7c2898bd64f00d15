import { readFileSync, writeFileSync } from 'node:fs';
import { CorruptError, MemoryDevice } from '@fstool/blockdev';
import { type FileSystem, treeFromEntries } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { setEntry } from '../src/fat-entries.js';
import { shortEntry } from '../src/format/dirent.js';
import { fatDriver } from '../src/index.js';
import {
  fsck,
  layoutOf,
  mkfsImage,
  mtool,
  mtoolsPaths,
  openImage,
  patternSource,
  shortEntryOffset,
} from './helpers.js';

const tmp = tempDir('fstool-fatloop-');
afterAll(() => tmp.cleanup());

/** The first cluster a short entry at `at` gives. */
const clusterOf = (b: Uint8Array, at: number) => {
  const e = shortEntry.decode(b, at);
  return e.clusterHi * 0x10000 + e.clusterLo;
};

/**
 * An image by mkfs.fat and mtools holding /f.txt and /a/b, then /a/b's record pointed at the
 * cluster of the directory `target` names ('/' or '/a'), and its own cluster freed in both FATs
 * (so that the loop is the only damage). Returns the cluster it points at.
 */
function loopImage(image: string, type: '16' | '32', target: '/' | '/a'): number {
  mkfsImage(image, type === '32' ? 34 * 1024 : 8192, ['-F', type, '-s', '1']);
  const host = tmp.join(`f-${type}.txt`);
  writeFileSync(host, 'root file\n');
  for (const args of [
    ['mmd', '::/a', '::/a/b'],
    ['mcopy', host, '::/f.txt'],
  ]) {
    const r = mtool(args[0] as string, ['-i', image, ...args.slice(1)]);
    if (r.code !== 0) throw new Error(r.out);
  }
  const bytes = new Uint8Array(readFileSync(image));
  const vol = layoutOf(bytes);
  const at = (cluster: number) => vol.dataOffset + (cluster - 2) * vol.clusterSize;
  const rootStart = type === '32' ? at(2) : vol.rootOffset;
  const a = clusterOf(bytes, shortEntryOffset(bytes, rootStart, vol.clusterSize, 'A          '));
  const b = shortEntryOffset(bytes, at(a), vol.clusterSize, 'B          ');
  const cluster = target === '/a' ? a : type === '32' ? 2 : 0;
  for (let k = 0; k < vol.numFats; k++) {
    const fat = bytes.subarray(vol.fatOffset + k * vol.fatSectors * vol.sectorSize);
    setEntry(fat, vol.fatType, clusterOf(bytes, b), 0);
  }
  shortEntry.encode({ ...shortEntry.decode(bytes, b), clusterHi: 0, clusterLo: cluster }, bytes, b);
  writeFileSync(image, bytes);
  return cluster;
}

/** A recursive listing that visits each directory once by `ino`, as the CLI's walks do. */
async function walk(fs: FileSystem, path: string, seen: Set<number | undefined>, out: string[]): Promise<void> {
  for (const e of await fs.list(path)) {
    out.push(e.path);
    if (e.kind !== 'dir' || seen.has(e.ino)) continue;
    seen.add(e.ino);
    await walk(fs, e.path, seen, out);
  }
}

describe.skipIf(!haveTools('mkfs.fat', 'mmd', 'mcopy', 'fsck.vfat'))('a directory pointing back at an ancestor', () => {
  for (const [type, target] of [
    ['32', '/'],
    ['32', '/a'],
    ['16', '/'],
    ['16', '/a'],
  ] as const) {
    it(`FAT${type}: /a/b → ${target} is reported as a loop, walks by ino end, rm -r /a frees /a only`, async () => {
      const image = tmp.join(`loop${type}${target.length}.img`);
      const cluster = loopImage(image, type, target);
      const { fs, done } = await openImage(image, true);
      const root = await fs.stat('/');
      expect(root.ino).toBe(type === '32' ? 2 : 0);
      const a = await fs.stat('/a');
      expect(a.ino).toBeGreaterThanOrEqual(2);
      expect(a.ino).not.toBe(root.ino);
      expect((await fs.stat('/a/b')).ino).toBe(cluster);
      const b = (await fs.list('/a')).find((e) => e.path === '/a/b');
      expect(b?.ino).toBe(target === '/' ? root.ino : a.ino);
      await expect(fs.list('/a/b')).rejects.toThrow(CorruptError);
      await expect(fs.list('/a/b')).rejects.toThrow(`directory /a/b is a loop: it points back at ${target}`);
      await expect(fs.stat('/a/b/f.txt')).rejects.toThrow(/loop/);
      await expect(fs.remove('/a/b', { recursive: true })).rejects.toThrow(/loop/);

      const seen = new Set([root.ino]);
      const out: string[] = [];
      await walk(fs, '/', seen, out);
      expect(out.sort()).toEqual(['/a', '/a/b', '/f.txt']);
      const inos = (await fs.list('/')).map((e) => e.ino);
      expect(new Set(inos).size).toBe(2);

      await fs.remove('/a', { recursive: true });
      let text = '';
      for await (const chunk of fs.read('/f.txt')) text += new TextDecoder().decode(chunk);
      expect(text).toBe('root file\n');
      await done();
      const check = fsck(image);
      expect(check.code, check.out).toBe(0);
      expect(mtoolsPaths(image)).toEqual(['/f.txt']);
    });
  }
});

describe('ino', () => {
  it('is the first cluster, or above every cluster for empty files; distinct and stable', async () => {
    const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
    const tree = treeFromEntries([
      { ...base, path: '/d', kind: 'dir', mode: 0o755, size: 0 },
      { ...base, path: '/d/empty 1', kind: 'file', size: 0 },
      { ...base, path: '/d/empty 2', kind: 'file', size: 0 },
      { ...base, path: '/f', kind: 'file', size: 3, open: () => patternSource(3) },
      { ...base, path: '/g', kind: 'file', size: 0 },
    ]);
    const dev = new MemoryDevice(2 * 2 ** 20);
    await fatDriver.build(dev, tree, {}, { type: 'fat12' });
    const fs = await fatDriver.open(dev, { writable: false });
    const all = [await fs.stat('/'), ...(await fs.list('/')), ...(await fs.list('/d'))];
    const inos = all.map((e) => e.ino as number);
    expect(new Set(inos).size).toBe(6);
    expect(inos[0]).toBe(0);
    for (const e of all) {
      if (e.kind === 'dir' || e.size > 0) expect(e.ino).toBeLessThan(2 ** 32);
      else expect(e.ino).toBeGreaterThanOrEqual(2 ** 32);
      expect((await fs.stat(e.path)).ino).toBe(e.ino);
    }
    await fs.close();
  });
});
