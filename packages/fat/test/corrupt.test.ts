import { FsError, MemoryDevice } from '@fstool/blockdev';
import { type FileSystem, treeFromEntries } from '@fstool/fs';
import { describe, expect, it } from 'vitest';
import { fatDriver } from '../src/index.js';
import { patternSource } from './helpers.js';

const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
const entries = [
  { ...base, path: '/d', kind: 'dir' as const, size: 0 },
  { ...base, path: '/d/e', kind: 'dir' as const, size: 0 },
  ...Array.from({ length: 40 }, (_, i) => ({
    ...base,
    path: `/d/e/file with a long name ${i}.txt`,
    kind: 'file' as const,
    size: i * 900,
    open: () => patternSource(i * 900, i),
  })),
  { ...base, path: '/top.bin', kind: 'file' as const, size: 50_000, open: () => patternSource(50_000) },
];

/** A small deterministic PRNG (mulberry32), so failures can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function walk(fs: FileSystem, dir: string, budget: { n: number }): Promise<void> {
  for (const e of await fs.list(dir)) {
    if (--budget.n < 0) return;
    if (e.kind === 'dir') await walk(fs, e.path, budget);
    else for await (const _ of fs.read(e.path));
  }
}

describe('corrupted images', () => {
  for (const type of ['fat12', 'fat16', 'fat32']) {
    it(`${type}: random damage to the metadata gives FsErrors only, never hangs or raw errors`, async () => {
      const dev = new MemoryDevice(type === 'fat32' ? 34 * 2 ** 20 : 4 * 2 ** 20);
      const report = await fatDriver.build(dev, treeFromEntries(entries), {}, { type });
      const metaEnd =
        (report.details.reservedSectors as number) * 512 + 2 * (report.details.fatSectors as number) * 512 + 64 * 1024;
      // Restoring the first MiBs each round is enough: edits outside them only leave extra damage.
      const clean = dev.bytes().slice(0, 4 * 2 ** 20);
      const random = rng(type.length * 7919);
      let failures = 0;
      for (let round = 0; round < 60; round++) {
        const bytes = dev.bytes();
        bytes.set(clean);
        for (let k = 0; k < 1 + Math.floor(random() * 8); k++) {
          bytes[Math.floor(random() * metaEnd)] = Math.floor(random() * 256);
        }
        try {
          const fs = await fatDriver.open(dev, { writable: true });
          await walk(fs, '/', { n: 500 });
          await fs.info();
          await fs.remove('/d', { recursive: true });
          await fs.close();
        } catch (err) {
          if (!(err instanceof FsError)) throw new Error(`round ${round}: ${String(err)}`, { cause: err });
          failures++;
        }
      }
      expect(failures).toBeGreaterThan(0);
    });
  }
});
