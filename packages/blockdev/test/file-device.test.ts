import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copy, FsError, MemoryDevice, OutOfRangeError, ReadOnlyError } from '../src/index.js';
import { FileDevice } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'blockdev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileDevice', () => {
  it('creates a 1 GiB sparse file that only allocates what was written', async () => {
    const path = join(dir, 'sparse.img');
    const dev = await FileDevice.create(path, { size: 2 ** 30 });
    await dev.write(512 * 1024 * 1024, new Uint8Array(64 * 1024).fill(0x5a));
    await dev.close();
    const st = statSync(path);
    expect(st.size).toBe(2 ** 30);
    expect(st.blocks * 512).toBeGreaterThanOrEqual(64 * 1024);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
  });

  it('keeps every byte of a large write stream while syncing behind it, and closes without a flush', async () => {
    const path = join(dir, 'behind.img');
    const chunk = new Uint8Array(8 * 2 ** 20);
    const dev = await FileDevice.create(path, { size: 20 * chunk.length });
    // 160 MiB crosses the background-sync threshold more than once; close() waits for the sync in flight.
    for (let i = 0; i < 20; i++) {
      chunk.fill(i + 1);
      if (i % 2) await dev.writev(i * chunk.length, [chunk.subarray(0, 4096), chunk.subarray(4096)]);
      else await dev.write(i * chunk.length, chunk);
    }
    await dev.close();
    const back = await FileDevice.open(path);
    const got = new Uint8Array(chunk.length);
    for (let i = 0; i < 20; i++) {
      await back.read(i * chunk.length, got);
      expect(Buffer.compare(got, chunk.fill(i + 1))).toBe(0);
    }
    await expect(back.flush()).resolves.toBeUndefined();
    await back.close();
  });

  it('reads exactly, and a read past the end is an OutOfRangeError', async () => {
    const path = join(dir, 'data.bin');
    writeFileSync(path, new Uint8Array([1, 2, 3, 4, 5]));
    const dev = await FileDevice.open(path);
    const out = new Uint8Array(3);
    await dev.read(2, out);
    expect([...out]).toEqual([3, 4, 5]);
    await expect(dev.read(3, new Uint8Array(3))).rejects.toThrow(OutOfRangeError);
    await expect(dev.write(0, new Uint8Array(1))).rejects.toThrow(ReadOnlyError);
    await dev.close();
  });

  it('refuses writes past the end unless growable', async () => {
    const path = join(dir, 'grow.bin');
    const fixed = await FileDevice.create(path, { size: 10 });
    await expect(fixed.write(8, new Uint8Array(4))).rejects.toThrow(OutOfRangeError);
    await fixed.close();
    const grow = await FileDevice.open(path, { writable: true, growable: true });
    await grow.write(8, new Uint8Array([1, 2, 3, 4]));
    expect(grow.size).toBe(12);
    await grow.close();
    expect(statSync(path).size).toBe(12);
  });

  it('keeps the largest size when concurrent growing writes finish out of order', async () => {
    const path = join(dir, 'grow-race.bin');
    const dev = await FileDevice.create(path, { size: 0, growable: true });
    // The 8 MiB write runs in pieces and finishes after the 1-byte write far beyond it.
    await Promise.all([dev.write(0, new Uint8Array(8 * 2 ** 20)), dev.write(100 * 2 ** 20, new Uint8Array(1))]);
    expect(dev.size).toBe(100 * 2 ** 20 + 1);
    await dev.close();
    expect(statSync(path).size).toBe(100 * 2 ** 20 + 1);
  });

  it('names the path when a file cannot be opened or already exists', async () => {
    await expect(FileDevice.open(join(dir, 'missing.img'))).rejects.toThrow(/missing\.img: no such file/);
    const path = join(dir, 'exists.img');
    writeFileSync(path, 'x');
    await expect(FileDevice.create(path, { size: 1 })).rejects.toThrow(FsError);
  });

  it('copy() into a fresh sparse file leaves zero runs as holes', async () => {
    const src = new MemoryDevice(32 * 1024 * 1024);
    await src.write(0, new Uint8Array(4096).fill(1));
    await src.write(31 * 1024 * 1024, new Uint8Array(8192).fill(2));
    const path = join(dir, 'copy.img');
    const dst = await FileDevice.create(path, { size: src.size });
    await copy(src, dst, { skipZeros: true });
    await dst.close();
    expect(statSync(path).blocks * 512).toBeLessThanOrEqual(64 * 1024);
    const du = execFileSync('cmp', [path, '-'], { input: src.bytes() });
    expect(du.length).toBe(0);
  });

  it('a sparse raw file is copied by its extents: holes stay holes, an empty one reads nothing, a dense one is all data', async () => {
    const MiB = 2 ** 20;
    const sparse = join(dir, 'sparse-in.raw');
    const fd = openSync(sparse, 'w');
    writeSync(fd, new Uint8Array(300_000).fill(5), 0, 300_000, 100 * MiB + 12_345);
    closeSync(fd);
    truncateSync(sparse, 256 * MiB);
    const empty = join(dir, 'empty-in.raw');
    writeFileSync(empty, '');
    truncateSync(empty, 2 ** 40);
    const dense = join(dir, 'dense-in.raw');
    writeFileSync(dense, new Uint8Array(3 * MiB).fill(1));

    const src = await FileDevice.open(sparse);
    const ranges = await src.dataRanges(0, src.size);
    const mapped = ranges.reduce((n, [a, b]) => n + b - a, 0);
    expect(mapped).toBeGreaterThanOrEqual(300_000);
    expect(mapped).toBeLessThan(MiB);
    for (const [a, b] of ranges) expect(a <= 100 * MiB + 12_345 + 300_000 && b >= 100 * MiB + 12_345).toBe(true);
    const out = join(dir, 'sparse-out.raw');
    const dst = await FileDevice.create(out, { size: src.size });
    expect(await copy(src, dst, { skipZeros: true })).toBeLessThan(MiB);
    await dst.close();
    await src.close();
    expect(statSync(out).blocks * 512).toBeLessThan(2 * MiB);
    expect(execFileSync('cmp', [sparse, out]).length).toBe(0);

    const none = await FileDevice.open(empty);
    expect(await none.dataRanges(0, none.size)).toEqual([]);
    await none.close();
    const all = await FileDevice.open(dense);
    expect(await all.dataRanges(MiB, MiB)).toEqual([[MiB, 2 * MiB]]);
    await all.close();
  });
});
