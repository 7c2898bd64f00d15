/**
 * Many operations in one batch, as `fstool add` of a tree runs them: the result judged by e2fsck
 * and debugfs, dir_nlink past 65,000 subdirectories, and a cut at any write of a batch spanning
 * several journal transactions leaving a prefix of its operations, each one whole.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import type { Entry, FileSystem } from '@fstool/fs';
import { e2fsckNoise, e2fsckVerdict, haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { Crash, CrashingDevice, fileEntry } from './edit-helpers.js';
import { noise } from './read-fixtures.js';

const dir = (path: string): Entry => ({
  path,
  kind: 'dir',
  mode: 0o755,
  uid: 0,
  gid: 0,
  mtime: 1_700_000_000,
  size: 0,
});

/** `/b`, then `dirs` directories of `files` files each (0..4,999 bytes), in tree order. */
function tree(dirs: number, files: number): Array<{ entry: Entry; data?: Uint8Array }> {
  const out: Array<{ entry: Entry; data?: Uint8Array }> = [{ entry: dir('/b') }];
  for (let d = 0; d < dirs; d++) {
    out.push({ entry: dir(`/b/d${d}`) });
    for (let f = 0; f < files; f++) {
      const n = d * files + f;
      const data = noise((n * 1237) % 5000, n + 1);
      out.push({ entry: fileEntry(`/b/d${d}/f${f}`, data), data });
    }
  }
  return out;
}

async function addAll(fs: FileSystem, ops: Array<{ entry: Entry }>): Promise<void> {
  await (fs.batch as NonNullable<FileSystem['batch']>)(async () => {
    for (const { entry } of ops) await fs.add(entry.path, entry);
  });
}

/** debugfs's names in a directory, without `.` and `..` (nor htree nodes' empty records, which `ls -p` prints as inode 0). */
function debugfsNames(img: string, path: string): string[] {
  return mustRun('debugfs', ['-R', `ls -p ${path}`, img])
    .split('\n')
    .filter((l) => l.startsWith('/') && !l.startsWith('/0/'))
    .map((l) => l.split('/')[5] as string)
    .filter((n) => n !== '.' && n !== '..');
}

function mke2fs(img: string, type: string, args: string[], size: string): void {
  mustRun('mke2fs', ['-q', '-F', '-t', type, '-E', 'root_owner=0:0', ...args, img, size]);
}

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs'))('batched edits', () => {
  const tmp = tempDir('ext-batch-');
  afterAll(() => tmp.cleanup());

  for (const v of [
    { name: 'ext4, 4 KiB, journal', type: 'ext4', args: ['-b', '4096'] },
    { name: 'ext4, 1 KiB, no journal', type: 'ext4', args: ['-b', '1024', '-O', '^has_journal'] },
    { name: 'ext3, 1 KiB', type: 'ext3', args: ['-b', '1024'] },
  ]) {
    it(`${v.name}: 2,441 entries in one batch; e2fsck silent, debugfs sees every entry and byte`, async () => {
      const img = tmp.join(`${v.name.replace(/\W+/g, '_')}.img`);
      mke2fs(img, v.type, v.args, '64M');
      const ops = tree(40, 60);
      const dev = await FileDevice.open(img, { writable: true });
      const fs = await openExt(dev, { writable: true });
      await addAll(fs, ops);
      await fs.close();
      await dev.close();
      expect(e2fsckNoise(img)).toEqual([]);
      expect(debugfsNames(img, '/b')).toHaveLength(40);
      for (const d of [0, 17, 39]) expect(debugfsNames(img, `/b/d${d}`).sort()).toHaveLength(60);
      for (const k of [2, 700, 1500, ops.length - 1]) {
        const { entry, data } = ops[k] as { entry: Entry; data: Uint8Array };
        const out = tmp.join('dumped');
        mustRun('debugfs', ['-R', `dump ${entry.path} ${out}`, img]);
        expect(new Uint8Array(readFileSync(out)), entry.path).toEqual(data);
      }
    });
  }

  it('a directory made in the batch: its names are still checked (replace, re-add after rm, rename onto, link)', async () => {
    // New directories skip the on-disk name check for names never put in them: every way a name
    // can get there must count, or an add would make a second entry of the same name.
    const img = tmp.join('names.img');
    mke2fs(img, 'ext4', ['-b', '4096'], '16M');
    const dev = await FileDevice.open(img, { writable: true });
    const fs = await openExt(dev, { writable: true });
    const text = (s: string) => new TextEncoder().encode(s);
    await (fs.batch as NonNullable<FileSystem['batch']>)(async () => {
      await fs.add('/n', dir('/n'));
      await fs.add('/n/a', fileEntry('/n/a', text('first')));
      await fs.add('/n/a', fileEntry('/n/a', text('second')));
      await fs.add('/n/b', fileEntry('/n/b', text('b')));
      await fs.remove('/n/b');
      await fs.add('/n/b', fileEntry('/n/b', text('b again')));
      await fs.add('/n/c', fileEntry('/n/c', text('c')));
      await fs.rename?.('/n/c', '/n/d');
      await fs.add('/n/d', fileEntry('/n/d', text('d over the renamed c')));
      await fs.link?.('/n/a', '/n/e');
      await fs.add('/n/e', fileEntry('/n/e', text('e over the link')));
    });
    await fs.close();
    await dev.close();
    expect(e2fsckNoise(img)).toEqual([]);
    expect(debugfsNames(img, '/n').sort()).toEqual(['a', 'b', 'd', 'e']);
    const cat = (path: string) => mustRun('debugfs', ['-R', `cat ${path}`, img]);
    expect([cat('/n/a'), cat('/n/b'), cat('/n/d'), cat('/n/e')]).toEqual([
      'second',
      'b again',
      'd over the renamed c',
      'e over the link',
    ]);
  });

  it('65,010 subdirectories of one directory in one batch: dir_nlink, e2fsck silent, all listed', async () => {
    const img = tmp.join('nlink.img');
    mke2fs(img, 'ext4', ['-b', '1024', '-N', '70000'], '160M');
    const count = 65_010;
    const dev = await FileDevice.open(img, { writable: true });
    const fs = await openExt(dev, { writable: true });
    await addAll(fs, [
      { entry: dir('/many') },
      ...Array.from({ length: count }, (_, i) => ({ entry: dir(`/many/d${i}`) })),
    ]);
    expect((await fs.list('/many')).length).toBe(count);
    await fs.close();
    await dev.close();
    expect(e2fsckNoise(img)).toEqual([]);
    expect(mustRun('debugfs', ['-R', 'stat /many', img])).toMatch(/Links: 1\b/);
    expect(debugfsNames(img, '/many')).toHaveLength(count);
  }, 600_000);

  it('a cut at any write of a batch over several transactions leaves a prefix of its operations, each whole', async () => {
    const img = tmp.join('cut.img');
    // The smallest journal (1,024 blocks) makes 2,400 new inodes take several transactions.
    mke2fs(img, 'ext4', ['-b', '1024', '-J', 'size=1'], '32M');
    const bytes = new Uint8Array(readFileSync(img));
    const ops = tree(40, 60);
    const count = new CrashingDevice(new MemoryDevice(bytes.slice()), Number.POSITIVE_INFINITY);
    const full = await openExt(count, { writable: true, now: 1_700_000_000 });
    await addAll(full, ops);
    await full.close();
    const total = count.writes;
    const kept: number[] = [];
    for (let k = 0; k < 12; k++) {
      const cut = Math.floor(((k + 0.5) * total) / 12);
      const dev = new CrashingDevice(new MemoryDevice(bytes.slice()), cut);
      const fs = await openExt(dev, { writable: true, now: 1_700_000_000 });
      await expect(addAll(fs, ops).then(() => fs.close())).rejects.toThrow(Crash);
      const out = tmp.join('cut-now.img');
      writeFileSync(out, dev.inner.bytes());
      // Replays the committed transactions (as a mount would), then judges.
      const verdict = e2fsckVerdict(out);
      expect(verdict.state, `cut after write ${cut} of ${total}:\n${verdict.output}`).toBe('clean');
      const ro = await openExt(new MemoryDevice(new Uint8Array(readFileSync(out))), { writable: false });
      let present = 0;
      for (const { entry, data } of ops) {
        const there = await ro.stat(entry.path).then(
          () => true,
          () => false,
        );
        if (!there) break;
        if (data) {
          const parts: Uint8Array[] = [];
          for await (const c of ro.read(entry.path)) parts.push(c);
          expect(Buffer.concat(parts).equals(Buffer.from(data)), entry.path).toBe(true);
        }
        present++;
      }
      for (const { entry } of ops.slice(present + 1)) {
        await expect(ro.stat(entry.path), `${entry.path} after a missing one`).rejects.toThrow();
      }
      kept.push(present);
    }
    // Some cuts fall between two committed transactions of the batch, not only before or after it.
    expect(kept.some((n) => n > 0 && n < ops.length)).toBe(true);
  }, 600_000);
});
