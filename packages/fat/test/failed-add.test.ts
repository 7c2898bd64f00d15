import { readFileSync, writeFileSync } from 'node:fs';
import { type BlockDevice, FsError, MemoryDevice } from '@fstool/blockdev';
import { type Entry, NoSpaceError } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { fatDriver } from '../src/index.js';
import {
  dirEntry as dir,
  fileEntry as file,
  fsck,
  mkfsImage,
  mtool,
  mtoolsPaths,
  openImage,
  patternSource,
} from './helpers.js';

const tmp = tempDir('fstool-fatfail-');
afterAll(() => tmp.cleanup());

/** fsck.vfat's count of used clusters ("n files, used/total clusters"). */
function usedClusters(out: string): number {
  return Number(/(\d+)\/\d+ clusters/.exec(out)?.[1]);
}

describe.skipIf(!haveTools('mkfs.fat', 'fsck.vfat', 'mdir'))('a failed add takes no clusters', () => {
  it('FAT16: adds into a full root directory fail without leaking, fsck stays clean', async () => {
    const image = tmp.join('root-full.img');
    mkfsImage(image, 8192, ['-F', '16', '-s', '1', '-r', '16']);
    const { fs, done } = await openImage(image, true);
    const added: string[] = [];
    let refused: unknown;
    for (let i = 0; i < 32 && !refused; i++) {
      const p = `/f${i}.bin`;
      try {
        await fs.add(p, file(p, 3000));
        added.push(p);
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(NoSpaceError);
    expect(String(refused)).toMatch(/root directory is full \(16 entries\)/);
    const free = (await fs.info()).freeClusters;
    // Each of these would take clusters before finding the root full.
    for (let i = 0; i < 5; i++) {
      await expect(fs.add(`/more ${i}.bin`, file(`/more ${i}.bin`, 5000))).rejects.toThrow(NoSpaceError);
      await expect(fs.add(`/dir${i}`, dir(`/dir${i}`))).rejects.toThrow(NoSpaceError);
    }
    expect((await fs.info()).freeClusters).toBe(free);
    await done();
    const check = fsck(image);
    expect(check.code, check.out).toBe(0);
    expect(usedClusters(check.out)).toBe(added.length * 6);
    expect(mtoolsPaths(image)).toEqual(added.sort());
  });

  it('FAT32: a full data area refuses before writing; a failing source frees what it took', async () => {
    const image = tmp.join('data-full.img');
    mkfsImage(image, 34 * 1024, ['-F', '32', '-s', '1']);
    const { fs, done } = await openImage(image, true);
    await fs.add('/d', dir('/d'));
    const free = (await fs.info()).freeClusters as number;
    await expect(fs.add('/d/too big', file('/d/too big', (free + 1) * 512))).rejects.toThrow(NoSpaceError);
    // Fits as data, but the directory must grow by a cluster for its record: refused as well.
    const slots = 512 / 32;
    for (let i = 0; i < slots - 3; i++) await fs.add(`/d/${i}`, file(`/d/${i}`, 0));
    const left = (await fs.info()).freeClusters as number;
    await expect(fs.add('/d/fills it', file('/d/fills it', left * 512))).rejects.toThrow(NoSpaceError);
    // The source ends early: the clusters written so far are freed.
    const short: Entry = { ...file('/d/short', 100_000), open: () => patternSource(50_000) };
    await expect(fs.add('/d/short', short)).rejects.toThrow(FsError);
    expect((await fs.info()).freeClusters).toBe(left);
    await done();
    const check = fsck(image);
    expect(check.code, check.out).toBe(0);
    expect(mtoolsPaths(image)).toHaveLength(slots - 3 + 1);
  });
});

/** Fails exactly one write (the `failAt`-th, counting `write` and `zero`) with EIO; every other one passes. */
class FlakyDevice implements BlockDevice {
  writes = 0;
  readonly readOnly = false;
  constructor(
    readonly inner: MemoryDevice,
    readonly failAt: number,
  ) {}
  get size() {
    return this.inner.size;
  }
  read(o: number, b: Uint8Array) {
    return this.inner.read(o, b);
  }
  #fail(): boolean {
    return this.writes++ === this.failAt;
  }
  async write(o: number, b: Uint8Array) {
    if (this.#fail()) throw new FsError('EIO', `write ${this.failAt} failed`);
    await this.inner.write(o, b);
  }
  async zero(o: number, n: number) {
    if (this.#fail()) throw new FsError('EIO', `write ${this.failAt} failed`);
    await this.inner.zero(o, n);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}

describe.skipIf(!haveTools('mkfs.fat', 'mmd', 'mcopy', 'fsck.vfat'))('an add failing at any write', () => {
  it('FAT16: frees its clusters and undoes the directory growth it needed, whichever write fails', async () => {
    const image = tmp.join('flaky.img');
    mkfsImage(image, 8192, ['-F', '16', '-s', '1']);
    const host = tmp.join('small');
    writeFileSync(host, 'x');
    // /d: '.', '..' and 14 short names fill its one 512-byte cluster; a long name makes it grow.
    expect(mtool('mmd', ['-i', image, '::/d']).code).toBe(0);
    for (let i = 0; i < 14; i++) expect(mtool('mcopy', ['-i', image, host, `::/d/F${i}`]).code).toBe(0);
    const pristine = new Uint8Array(readFileSync(image));
    const baseline = usedClusters(fsck(image).out);
    const p = '/d/a long name that needs room.bin';
    let failures = 0;
    for (let k = 0; ; k++) {
      const dev = new FlakyDevice(new MemoryDevice(pristine.slice()), k);
      const fs = await fatDriver.open(dev, { writable: true });
      const free = (await fs.info()).freeClusters;
      const err = await fs.add(p, file(p, 3000)).catch((e: unknown) => e);
      if (err === undefined) break; // no write left to fail
      expect(err, `write ${k}`).toBeInstanceOf(FsError);
      expect((await fs.info()).freeClusters, `write ${k}`).toBe(free);
      await expect(fs.stat(p)).rejects.toThrow(/no such file/);
      await fs.close();
      writeFileSync(image, dev.inner.bytes());
      const check = fsck(image);
      expect(check.code, `write ${k}: ${check.out}`).toBe(0);
      expect(usedClusters(check.out), `write ${k}`).toBe(baseline);
      failures++;
    }
    expect(failures).toBeGreaterThan(5);
  });
});
