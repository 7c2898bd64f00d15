import { MemoryDevice } from '@fstool/blockdev';
import { bytesSource, type Entry, treeFromEntries } from '@fstool/fs';
import { bench, describe } from 'vitest';
import { fatDriver } from '../src/index.js';
import { patternSource } from '../test/helpers.js';

const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
const big = 100 * 2 ** 20;
const bigTree = treeFromEntries([
  { ...base, path: '/big.bin', kind: 'file', size: big, open: () => patternSource(big) },
]);
const small: Entry[] = [{ ...base, path: '/d', kind: 'dir', size: 0 }];
const data = new Uint8Array(1500).fill(7);
for (let i = 0; i < 10_000; i++) {
  small.push({
    ...base,
    path: `/d/some file name ${i}.txt`,
    kind: 'file',
    size: data.length,
    open: () => bytesSource(data),
  });
}
const smallTree = treeFromEntries(small);

describe('fat build', () => {
  bench('100 MiB file → FAT32 (MemoryDevice)', async () => {
    await fatDriver.build(new MemoryDevice(160 * 2 ** 20), bigTree, {}, { type: 'fat32' });
  });
  bench('10,000 small files in one directory → FAT32', async () => {
    await fatDriver.build(new MemoryDevice(64 * 2 ** 20), smallTree, {}, { type: 'fat32' });
  });
});

describe('fat edit', () => {
  bench('add 200 files to a directory', async () => {
    const dev = new MemoryDevice(64 * 2 ** 20);
    await fatDriver.build(dev, treeFromEntries([{ ...base, path: '/d', kind: 'dir', size: 0 }]), {}, { type: 'fat32' });
    const fs = await fatDriver.open(dev, { writable: true });
    for (let i = 0; i < 200; i++) {
      const path = `/d/file ${i}`;
      await fs.add(path, { ...base, path, kind: 'file', size: data.length, open: () => bytesSource(data) });
    }
    await fs.close();
  });
});
