import { readFileSync, writeFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import type { FileSystem } from '@fstool/fs';
import { e2fsckVerdict, haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { Crash, CrashingDevice, fileEntry } from './edit-helpers.js';
import { makeImage, makeSourceTree, noise } from './read-fixtures.js';

const scenarios: Array<{ name: string; run: (fs: FileSystem) => Promise<void> }> = [
  {
    name: 'replace a file with a bigger one',
    run: (fs) => fs.add('/etc/hostname', fileEntry('/etc/hostname', noise(150_000, 1))),
  },
  {
    name: 'add files until the directory is rebuilt as an htree',
    run: async (fs) => {
      for (let i = 0; i < 24; i++) await fs.add(`/etc/conf.d/new-entry-${i}`, fileEntry('/x', noise(i, i)));
    },
  },
  { name: 'remove a tree', run: (fs) => fs.remove('/data', { recursive: true }) },
  {
    // Batched operations share transactions; blocks freed by the removal must not take new file
    // data before the transaction freeing them is committed (the old tree still uses them).
    name: 'a batch: remove a tree, then add files',
    run: (fs) =>
      (fs.batch as NonNullable<FileSystem['batch']>)(async () => {
        await fs.remove('/data', { recursive: true });
        // In the root's group, where the freed blocks are.
        for (let i = 0; i < 12; i++) await fs.add(`/f${i}`, fileEntry('/x', noise(30_000, i)));
      }),
  },
  {
    name: 'mkdir and symlinks',
    run: async (fs) => {
      await fs.add('/d', { path: '/d', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
      await fs.add('/d/l', {
        path: '/d/l',
        kind: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
        size: 90,
        target: 'y'.repeat(90),
      });
    },
  },
];

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'mknod', 'python3'))('crash consistency of edits', () => {
  const tmp = tempDir('ext-crash-');
  const images: Record<string, Uint8Array> = {};
  beforeAll(() => {
    const src = tmp.join('tree');
    makeSourceTree(src, { bigDir: 5 });
    for (const [name, args] of [
      ['ext4', ['-t', 'ext4', '-b', '1024']],
      ['ext3', ['-t', 'ext3', '-b', '1024']],
    ] as const) {
      const img = tmp.join(`${name}.img`);
      makeImage(img, src, { type: args[1], args: [...args.slice(2)], size: '16M' });
      images[name] = new Uint8Array(readFileSync(img));
    }
  });
  afterAll(() => tmp.cleanup());

  for (const s of scenarios) {
    it(`${s.name}: a crash after any write leaves at most leaked blocks and inodes`, async () => {
      for (const [name, bytes] of Object.entries(images)) {
        const count = new CrashingDevice(new MemoryDevice(bytes.slice()), Number.POSITIVE_INFINITY);
        const full = await openExt(count, { writable: true, now: 1_700_000_000 });
        await s.run(full);
        await full.close();
        const total = count.writes;
        expect(total).toBeGreaterThan(0);
        // Every cut point for short edits, an even spread for long ones.
        const cuts =
          total <= 12
            ? [...Array(total).keys()]
            : Array.from({ length: 12 }, (_, k) => Math.floor(((k + 0.5) * total) / 12));
        for (const cut of cuts) {
          const dev = new CrashingDevice(new MemoryDevice(bytes.slice()), cut);
          const fs = await openExt(dev, { writable: true, now: 1_700_000_000 });
          await expect(s.run(fs).then(() => fs.close())).rejects.toThrow(Crash);
          const img = tmp.join(`crash-${name}.img`);
          writeFileSync(img, dev.inner.bytes());
          // Replays committed journal transactions first, as a mount or e2fsck would.
          const verdict = e2fsckVerdict(img);
          expect(verdict.problems, `${name}, cut after write ${cut} of ${total}:\n${verdict.output}`).toEqual([]);
        }
      }
    });
  }
});
