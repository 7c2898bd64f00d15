import { writeFileSync } from 'node:fs';
import { type BlockDevice, FsError, MemoryDevice } from '@fstool/blockdev';
import { type Entry, type FileSystem, treeFromEntries } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { fatDriver } from '../src/index.js';
import { fsck, patternSource } from './helpers.js';

const tmp = tempDir('fstool-fatcrash-');
afterAll(() => tmp.cleanup());

/** Passes writes through until `budget` of them have happened, then fails every one: a power cut. */
class CrashDevice implements BlockDevice {
  writes = 0;
  constructor(
    readonly inner: MemoryDevice,
    readonly budget: number,
  ) {}
  get size() {
    return this.inner.size;
  }
  readonly readOnly = false;
  read(o: number, b: Uint8Array) {
    return this.inner.read(o, b);
  }
  async write(o: number, b: Uint8Array) {
    if (this.writes++ >= this.budget) throw new FsError('EIO', 'power cut');
    await this.inner.write(o, b);
  }
  async zero(o: number, n: number) {
    if (this.writes++ >= this.budget) throw new FsError('EIO', 'power cut');
    await this.inner.zero(o, n);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}

const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
const file = (path: string, size: number): Entry => ({
  ...base,
  path,
  kind: 'file',
  size,
  open: () => patternSource(size),
});
const tree = treeFromEntries([
  { ...base, path: '/d', kind: 'dir', size: 0 },
  ...Array.from({ length: 30 }, (_, i) => file(`/d/a file with a long name ${i}`, 3000)),
  file('/old.bin', 20_000),
]);

/** What fsck may report after an interrupted edit: lost clusters and a stale free count, nothing else. */
const HARMLESS = [
  /^fsck\.fat /,
  /^Checking we can access the last sector/,
  /^Free cluster summary (wrong|uninitialized)/,
  /^\s*\d+ vs\. really \d+/,
  /^\s*Auto-correcting\.?$/,
  /^Reclaimed \d+ unused clusters? \(\d+ bytes\)( in \d+ chains?)?\.$/,
  // A cut between the two FAT copies: the first (always written first) is the consistent one.
  /^FATs differ but appear to be intact\.$/,
  /^\s*Using first FAT\.$/,
  /^Leaving filesystem unchanged\.$/,
  /^\S+: \d+ files, \d+\/\d+ clusters$/,
  /^$/,
];

const edits: Array<[string, (fs: FileSystem) => Promise<void>]> = [
  ['add a file', (fs) => fs.add('/d/new file.bin', file('/d/new file.bin', 40_000))],
  ['replace a file', (fs) => fs.add('/old.bin', file('/old.bin', 7_000))],
  ['mkdir', (fs) => fs.add('/d/sub', { ...base, path: '/d/sub', kind: 'dir', size: 0 })],
  ['remove a directory', (fs) => fs.remove('/d', { recursive: true })],
  [
    'grow a directory',
    async (fs) => {
      for (let i = 0; i < 5; i++) await fs.add(`/d/more ${i} with a long name`, file(`/d/more ${i}`, 10));
    },
  ],
];

describe.skipIf(!haveTools('fsck.vfat'))('an edit interrupted at any write leaves at worst lost clusters', () => {
  for (const type of ['fat16', 'fat32']) {
    it(type, async () => {
      const clean = new MemoryDevice(type === 'fat32' ? 34 * 2 ** 20 : 4 * 2 ** 20);
      await fatDriver.build(clean, tree, {}, { type });
      const image = tmp.join(`${type}.img`);
      for (const [name, edit] of edits) {
        for (let budget = 0; ; budget++) {
          const dev = new CrashDevice(new MemoryDevice(clean.bytes().slice()), budget);
          const fs = await fatDriver.open(dev, { writable: true });
          let finished = true;
          try {
            await edit(fs);
            await fs.close();
          } catch (err) {
            if (!(err instanceof FsError) || err.code !== 'EIO') throw err;
            finished = false;
          }
          writeFileSync(image, dev.inner.bytes());
          const r = fsck(image);
          const bad = r.out.split('\n').filter((line) => !HARMLESS.some((re) => re.test(line)));
          expect(bad, `${name}, power cut after ${budget} writes:\n${r.out}`).toEqual([]);
          if (finished) {
            expect(r.code, `${name} completed:\n${r.out}`).toBe(0);
            break;
          }
        }
      }
    });
  }
});
