/**
 * Write ordering of an opened image: each write that maps new clusters is in the container (data,
 * refcounts, L2/L1) when it resolves, so a process killed right after sees it; a data write that
 * fails maps nothing. New images keep metadata in memory until flush (write-back).
 */
import { copyFileSync } from 'node:fs';
import { type BlockDevice, FsError } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, qemuImgCheckVerdict, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { Qcow2Device } from '../src/index.js';
import { createQcow2File, openQcow2File } from '../src/node.js';

const MiB = 2 ** 20;

/** A container whose writes past `limit` bytes fail, like a full host disk. */
class FullDisk implements BlockDevice {
  constructor(
    readonly inner: BlockDevice,
    readonly limit: number,
  ) {}
  get size() {
    return this.inner.size;
  }
  get readOnly() {
    return false;
  }
  read(offset: number, into: Uint8Array) {
    return this.inner.read(offset, into);
  }
  write(offset: number, data: Uint8Array) {
    if (offset + data.length > this.limit) return Promise.reject(new FsError('ENOSPC', 'no space left (test)'));
    return this.inner.write(offset, data);
  }
  zero(offset: number, length: number) {
    return this.inner.zero(offset, length);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}

describe.skipIf(!haveTools('qemu-img', 'qemu-io'))('qcow2 write ordering', () => {
  const tmp = tempDir('qcow2-ordered-');
  afterAll(() => tmp.cleanup());

  /** What QEMU sees in a copy of the file taken now, as a crash would leave it. */
  const snapshot = (img: string, checks: Array<[number, number, number]>) => {
    const copy = tmp.join('snap.qcow2');
    copyFileSync(img, copy);
    const reads = checks.flatMap(([at, len, byte]) => ['-c', `read -P ${byte} ${at} ${len}`]);
    const io = runTool('qemu-io', ['-f', 'qcow2', ...reads, copy]);
    return {
      check: qemuImgCheckVerdict(copy).state,
      read: /Pattern verification failed/.test(io.stdout) ? 'wrong' : io.code,
    };
  };

  it('an opened image: every allocating write is durable when it resolves', async () => {
    const img = tmp.join('open.qcow2');
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '64M']);
    const q = await openQcow2File(img, { writable: true });
    try {
      const writes: Array<[number, number, number]> = [
        [0, 4096, 1], // a new L2 table and a new cluster
        [8192 + 100, 10_000, 2], // across clusters of the same table
        [40 * MiB, 3 * MiB, 3], // another L2 table, many clusters
      ];
      for (let i = 0; i < writes.length; i++) {
        const [at, len, byte] = writes[i] as [number, number, number];
        await q.write(at, new Uint8Array(len).fill(byte));
        expect(snapshot(img, writes.slice(0, i + 1))).toEqual({ check: 'clean', read: 0 });
      }
    } finally {
      await q.close();
    }
  });

  it('a new image keeps its metadata until flush (write-back), then it is all there', async () => {
    const img = tmp.join('new.qcow2');
    const q = await createQcow2File(img, { virtualSize: 8 * MiB, clusterSize: 4096 });
    try {
      await q.write(MiB, new Uint8Array(8192).fill(7));
      expect(snapshot(img, [[MiB, 8192, 7]]).read).toBe('wrong');
      await q.flush();
      expect(snapshot(img, [[MiB, 8192, 7]])).toEqual({ check: 'clean', read: 0 });
    } finally {
      await q.close();
    }
  });

  it('a data write that fails (disk full) maps nothing; the image has leaks at most', async () => {
    const img = tmp.join('full.qcow2');
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '8M']);
    mustRun('qemu-io', ['-f', 'qcow2', '-c', 'write -P 5 0 64k', img]);
    const file = await FileDevice.open(img, { writable: true, growable: true });
    const q = await Qcow2Device.open(new FullDisk(file, file.size + 8192), { writable: true });
    await q.write(0, new Uint8Array(4096).fill(6)); // an overwrite needs no space
    await expect(q.write(MiB, new Uint8Array(65536).fill(8))).rejects.toThrow(/no space/);
    // Closing writes the leaked clusters' counts, which may fail for want of space too.
    await q.close().catch((err) => expect(err).toBeInstanceOf(FsError));
    expect(qemuImgCheckVerdict(img).state).not.toBe('damaged');
    expect(
      snapshot(img, [
        [0, 4096, 6],
        [4096, 60 * 1024, 5],
        [MiB, 65536, 0],
      ]).read,
    ).toBe(0);
  });
});
