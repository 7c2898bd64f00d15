import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '@fstool/blockdev';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { journalSuperblockChecksum } from '../src/checksum.js';
import { JournalLog } from '../src/edit/journal.js';
import { TxDevice } from '../src/edit/tx-device.js';
import { JBD2_FEATURE_INCOMPAT, JBD2_MAGIC, journalSuperblock } from '../src/format/jbd2.js';
import { openExt } from '../src/read/index.js';
import { Volume } from '../src/read/volume.js';
import { fileEntry, InterceptingDevice, withRwMount } from './edit-helpers.js';

class Stop extends Error {}

/** Stops the editor at the journal's commit block: just before writing it, or just after. */
class CommitStop extends InterceptingDevice {
  constructor(
    inner: MemoryDevice,
    private readonly after: boolean,
  ) {
    super(inner);
  }
  async write(offset: number, data: Uint8Array) {
    const dv = new DataView(data.buffer, data.byteOffset, Math.min(8, data.length));
    const commit = data.length >= 8 && dv.getUint32(0) === JBD2_MAGIC && dv.getUint32(4) === 2;
    if (commit && !this.after) throw new Stop('before the commit block');
    await this.inner.write(offset, data);
    if (commit) throw new Stop('after the commit block');
  }
}

const tmp = tempDir('ext-journal-');
afterAll(() => tmp.cleanup());

/** mke2fs image; `csum64` switches its (empty) journal to csum_v3 + 64bit tags. */
function image(name: string, blockSize: number, csum64: boolean): Uint8Array {
  const img = tmp.join(`${name}.img`);
  mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', String(blockSize), '-E', 'root_owner=0:0', img, '8M']);
  const bytes = new Uint8Array(readFileSync(img));
  if (csum64) {
    const b = Number(mustRun('debugfs', ['-R', 'bmap <8> 0', img]).trim());
    const jsb = bytes.subarray(b * blockSize, b * blockSize + 1024);
    const incompat = journalSuperblock.get(jsb, 0, 's_feature_incompat');
    journalSuperblock.patch(
      {
        s_feature_incompat: incompat | JBD2_FEATURE_INCOMPAT.csum_v3 | JBD2_FEATURE_INCOMPAT['64bit'],
        s_checksum_type: 4,
        s_checksum: 0,
      },
      jsb,
    );
    journalSuperblock.set(jsb, 0, 's_checksum', journalSuperblockChecksum(jsb));
  }
  return bytes;
}

function save(name: string, bytes: Uint8Array): string {
  const path = tmp.join(name);
  writeFileSync(path, bytes);
  return path;
}

const replay = (img: string) => runTool('e2fsck', ['-E', 'journal_only', '-y', img]);
const content = new Uint8Array(3000).fill(0x5a);

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs'))('journalled edits', () => {
  for (const [name, bs, csum64] of [
    ['1 KiB, journal without checksums', 1024, false],
    ['4 KiB, journal with csum_v3 and 64-bit tags', 4096, true],
  ] as const) {
    describe(name, () => {
      const clean = image(name.replace(/\W+/g, '-'), bs, csum64);

      it('a whole edit leaves an empty journal, the next sequence and no recovery flag', async () => {
        const mem = new MemoryDevice(clean.slice());
        const fs = await openExt(mem, { writable: true, now: 1_700_000_000 });
        await fs.add('/new.txt', fileEntry('/new.txt', content));
        await fs.close();
        const img = save('whole.img', mem.bytes());
        expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
        const head = mustRun('dumpe2fs', ['-h', img]);
        expect(head).toMatch(/Journal start:\s+0\n/);
        expect(head).not.toMatch(/needs_recovery/);
        // Two transactions: the add (with the first superblock write) and close.
        expect(head).toMatch(/Journal sequence:\s+0x00000003/);
        expect(mustRun('debugfs', ['-R', 'cat /new.txt', img]).length).toBe(content.length);
      });

      it('a batch of operations shares transactions', async () => {
        const mem = new MemoryDevice(clean.slice());
        const fs = await openExt(mem, { writable: true, now: 1_700_000_000 });
        await fs.batch(async () => {
          await fs.add('/d', { path: '/d', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
          for (let i = 0; i < 40; i++) await fs.add(`/d/f${i}`, fileEntry('/x', content));
          await fs.remove('/d/f3');
        });
        await fs.close();
        const img = save('batch.img', mem.bytes());
        expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
        // One transaction for the 42 operations, one for close (one per operation would be 43).
        expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/Journal sequence:\s+0x00000003/);
        const names = mustRun('debugfs', ['-R', 'ls -p /d', img]).match(/\/f\d+\//g) ?? [];
        expect(names).toHaveLength(39);
        expect(mustRun('debugfs', ['-R', 'cat /d/f39', img]).length).toBe(content.length);
      });

      it('a transaction cut after its commit block is replayed by e2fsck', async () => {
        const mem = new MemoryDevice(clean.slice());
        const fs = await openExt(new CommitStop(mem, true), { writable: true, now: 1_700_000_000 });
        await expect(fs.add('/new.txt', fileEntry('/new.txt', content))).rejects.toThrow(Stop);
        const img = save('committed.img', mem.bytes());
        expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/needs_recovery/);
        const log = mustRun('debugfs', ['-R', 'logdump', img]);
        expect(log).toMatch(/Found expected sequence 1, type 1 \(descriptor block\)/);
        expect(log).toMatch(/Found expected sequence 1, type 2 \(commit block\)/);
        // Our own writable open refuses until the journal is replayed.
        await expect(openExt(new MemoryDevice(mem.bytes()), { writable: true })).rejects.toThrow(/needs recovery/);
        expect(replay(img).code).toBeLessThanOrEqual(1);
        expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
        expect(mustRun('debugfs', ['-R', 'cat /new.txt', img]).length).toBe(content.length);
      });

      it('the kernel replays a committed transaction when it mounts the image', async () => {
        const mem = new MemoryDevice(clean.slice());
        const fs = await openExt(new CommitStop(mem, true), { writable: true, now: 1_700_000_000 });
        await expect(fs.add('/new.txt', fileEntry('/new.txt', content))).rejects.toThrow(Stop);
        const img = save('kernel.img', mem.bytes());
        let seen: Uint8Array | undefined;
        if (!withRwMount(img, (mp) => (seen = new Uint8Array(readFileSync(join(mp, 'new.txt')))))) return;
        expect(seen).toEqual(content);
        expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
      });

      it('a transaction cut before its commit block is not replayed: the old tree, clean', async () => {
        const mem = new MemoryDevice(clean.slice());
        const fs = await openExt(new CommitStop(mem, false), { writable: true, now: 1_700_000_000 });
        await expect(fs.add('/new.txt', fileEntry('/new.txt', content))).rejects.toThrow(Stop);
        const img = save('uncommitted.img', mem.bytes());
        expect(replay(img).code).toBeLessThanOrEqual(1);
        expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
        expect(mustRun('debugfs', ['-R', 'ls /', img])).not.toMatch(/new\.txt/);
      });

      it('a block beginning with the JBD2 magic is escaped in the log and restored by replay', async () => {
        const mem = new MemoryDevice(clean.slice());
        const vol = await Volume.open(mem, { writable: true });
        const log = (await JournalLog.open(vol, new CommitStop(mem, true))) as JournalLog;
        const target = vol.blocksCount - 1; // free in a fresh image
        const block = new Uint8Array(bs).fill(0x33);
        new DataView(block.buffer).setUint32(0, JBD2_MAGIC);
        await expect(log.commit(new Map([[target, block]]), 1_700_000_000)).rejects.toThrow(Stop);
        const img = save('escape.img', mem.bytes());
        expect(mustRun('debugfs', ['-R', 'logdump', img])).toMatch(/type 2 \(commit block\)/);
        // The journal copy (logical block 2, after the descriptor) has its magic zeroed.
        const copyAt = Number(mustRun('debugfs', ['-R', 'bmap <8> 2', img]).trim()) * bs;
        const copy = mem.bytes().subarray(copyAt, copyAt + bs);
        expect([...copy.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
        expect(copy.subarray(4)).toEqual(block.subarray(4));
        expect(replay(img).code).toBeLessThanOrEqual(1);
        const after = new Uint8Array(readFileSync(img)).subarray(target * bs, (target + 1) * bs);
        expect(after).toEqual(block);
      });
    });
  }
});

describe('the transaction buffer', () => {
  /** A stand-in journal of `capacity` blocks that records the transactions it is given. */
  function recorder(capacity: number) {
    const txs: number[][] = [];
    const log = {
      capacity,
      commit: async (blocks: ReadonlyMap<number, Uint8Array>) => {
        txs.push([...blocks.keys()].sort((a, b) => a - b));
      },
    };
    return { txs, log: log as unknown as JournalLog };
  }

  it('holds metadata writes (reads see them), splits at capacity, lets data through', async () => {
    const mem = new MemoryDevice(new Uint8Array(64 * 1024));
    const tx = new TxDevice(mem);
    const { txs, log } = recorder(3);
    tx.attach(log, 1024);
    await tx.write(1024 + 100, new Uint8Array([1, 2, 3]));
    expect(mem.bytes()[1124]).toBe(0);
    const back = new Uint8Array(4);
    await tx.read(1024 + 99, back);
    expect([...back]).toEqual([0, 1, 2, 3]);
    await tx.write(5 * 1024, new Uint8Array(3 * 1024).fill(9)); // blocks 5, 6 fill the 3; 7 splits
    expect(txs).toEqual([[1, 5, 6]]);
    await tx.direct(() => tx.write(7 * 1024, new Uint8Array(1024).fill(4))); // data overrides held 7
    await tx.commit();
    expect(mem.bytes()[7 * 1024]).toBe(4);
    expect(txs).toEqual([[1, 5, 6]]);
  });

  it('gathers data written back to back into one write, ahead of the commit; reads see the gathered bytes', async () => {
    const mem = new MemoryDevice(new Uint8Array(64 * 1024));
    const writes: number[] = [];
    const inner = {
      size: mem.size,
      readOnly: false,
      read: (offset: number, into: Uint8Array) => mem.read(offset, into),
      write: (offset: number, data: Uint8Array) => {
        writes.push(offset, data.length);
        return mem.write(offset, data);
      },
      zero: (offset: number, length: number) => mem.zero(offset, length),
      flush: () => mem.flush(),
      close: () => mem.close(),
    };
    const tx = new TxDevice(inner);
    const { txs, log } = recorder(8);
    tx.attach(log, 1024);
    await tx.direct(() => tx.write(10 * 1024, new Uint8Array(1024).fill(1)));
    await tx.direct(() => tx.write(11 * 1024, new Uint8Array(2048).fill(2)));
    await tx.write(2 * 1024, new Uint8Array(1024).fill(3)); // metadata: held
    expect(writes).toEqual([]);
    const back = new Uint8Array(1);
    await tx.read(12 * 1024, back); // pending data is read from the gather, which is not written for it
    expect(back[0]).toBe(2);
    // A read across its edge: the disk's bytes before it, the gathered bytes, the held block after.
    mem.bytes().fill(9, 9 * 1024, 10 * 1024);
    const across = new Uint8Array(2048);
    await tx.read(9 * 1024 + 512, across);
    expect([across[0], across[511], across[512], across[1535], across[1536]]).toEqual([9, 9, 1, 1, 2]);
    const withHeld = new Uint8Array(1024 * 12);
    await tx.read(1024, withHeld);
    expect([withHeld[0], withHeld[1024], withHeld[9 * 1024], withHeld[10 * 1024]]).toEqual([0, 3, 1, 2]);
    expect(writes).toEqual([]);
    await tx.direct(() => tx.write(13 * 1024, new Uint8Array(1024).fill(4))); // still adjacent: gathered
    await tx.direct(() => tx.write(20 * 1024, new Uint8Array(1024).fill(5))); // not adjacent: 10..14 goes out
    expect(writes).toEqual([10 * 1024, 4096]);
    await tx.direct(() => tx.write(30 * 1024, new Uint8Array(1024).fill(6)));
    expect(writes).toEqual([10 * 1024, 4096, 20 * 1024, 1024]);
    await tx.commit(); // data before the transaction
    expect(writes).toEqual([10 * 1024, 4096, 20 * 1024, 1024, 30 * 1024, 1024]);
    expect(mem.bytes().subarray(10 * 1024, 14 * 1024)).toEqual(
      new Uint8Array([...Array(1024).fill(1), ...Array(2048).fill(2), ...Array(1024).fill(4)]),
    );
    expect(txs).toEqual([[2]]);
  });

  it('without a journal everything goes straight through', async () => {
    const mem = new MemoryDevice(new Uint8Array(8 * 1024));
    const tx = new TxDevice(mem);
    await tx.write(2048, new Uint8Array([7]));
    expect(mem.bytes()[2048]).toBe(7);
  });
});
