/**
 * Conversions follow the data: the L1/L2 map of a qcow2 image and the extent map of a sparse raw
 * file say where data is, checked against `qemu-img map`, and a conversion reads only that.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { BlockDevice, DataRange } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { convertToQcow2, convertToRaw, Qcow2Device } from '../src/index.js';
import { openQcow2File } from '../src/node.js';
import { expectQemuCheckClean, pattern } from './helpers.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The ranges `qemu-img map` says hold data, merged. */
function qemuDataRanges(path: string): DataRange[] {
  const map = JSON.parse(mustRun('qemu-img', ['map', '--output=json', path])) as Array<{
    start: number;
    length: number;
    data: boolean;
  }>;
  const out: DataRange[] = [];
  for (const m of map) {
    if (!m.data) continue;
    const last = out[out.length - 1];
    if (last && last[1] === m.start) last[1] += m.length;
    else out.push([m.start, m.start + m.length]);
  }
  return out;
}

/** Forwards to `dev`, counting the bytes read. */
function counting(dev: BlockDevice): BlockDevice & { bytesRead: number } {
  const c = {
    bytesRead: 0,
    size: dev.size,
    readOnly: true,
    read: (offset: number, into: Uint8Array) => {
      c.bytesRead += into.length;
      return dev.read(offset, into);
    },
    write: () => Promise.reject(new Error('read-only')),
    zero: () => Promise.reject(new Error('read-only')),
    flush: () => Promise.resolve(),
    close: () => dev.close(),
    dataRanges: (offset: number, length: number) =>
      (dev.dataRanges as NonNullable<BlockDevice['dataRanges']>)(offset, length),
  };
  return c;
}

describe.skipIf(!haveTools('qemu-img', 'qemu-io'))('data maps', () => {
  const tmp = tempDir('qcow2-map-');
  afterAll(() => tmp.cleanup());

  it('the L1/L2 map gives what qemu-img map calls data (zero clusters and empty tables are not)', async () => {
    const path = tmp.join('map.qcow2');
    mustRun('qemu-img', ['create', '-f', 'qcow2', path, '4G']);
    mustRun('qemu-io', ['-c', 'write -P 0x11 1M 192K', '-c', 'write -z 8M 128K', '-c', 'write -P 0x22 3G 64K', path]);
    const q = await openQcow2File(path);
    try {
      expect(await q.dataRanges(0, q.size)).toEqual(qemuDataRanges(path));
      expect(qemuDataRanges(path)).toHaveLength(2);
      // A window cuts the ranges it overlaps.
      expect(await q.dataRanges(MiB + 4096, 2 * MiB)).toEqual([[MiB + 4096, MiB + 192 * 1024]]);
    } finally {
      await q.close();
    }
  });

  it('the map walk reads the L2 tables it needs at once, not one after another', async () => {
    const path = tmp.join('tables.qcow2');
    mustRun('qemu-img', ['create', '-f', 'qcow2', path, '4G']);
    // One cluster in each of 8 L2 tables (a table maps 512 MiB with 64 KiB clusters).
    mustRun('qemu-io', [
      ...Array.from({ length: 8 }, (_, i) => ['-c', `write -P ${i + 1} ${i * 512}M 64K`]).flat(),
      path,
    ]);
    const file = await FileDevice.open(path);
    let inFlight = 0;
    let most = 0;
    const container: BlockDevice = {
      size: file.size,
      readOnly: true,
      write: () => Promise.reject(new Error('read-only')),
      zero: () => Promise.reject(new Error('read-only')),
      flush: () => Promise.resolve(),
      read: async (offset, into) => {
        most = Math.max(most, ++inFlight);
        try {
          await file.read(offset, into);
        } finally {
          inFlight--;
        }
      },
      close: () => file.close(),
    };
    const q = await Qcow2Device.open(container);
    try {
      expect(await q.dataRanges(0, q.size)).toEqual(qemuDataRanges(path));
      expect(most).toBe(8);
    } finally {
      await q.close();
    }
  });

  it('an overlay shows its backing file data where its own clusters are unallocated', async () => {
    const base = tmp.join('base.qcow2');
    const top = tmp.join('top.qcow2');
    mustRun('qemu-img', ['create', '-f', 'qcow2', base, '1G']);
    mustRun('qemu-io', ['-c', 'write -P 0x33 0 256K', '-c', 'write -P 0x44 512M 64K', base]);
    mustRun('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', top]);
    mustRun('qemu-io', ['-c', 'write -P 0x55 128K 256K', '-c', 'write -z 512M 64K', top]);
    const q = await openQcow2File(top);
    try {
      expect(await q.dataRanges(0, q.size)).toEqual(qemuDataRanges(top));
      expect(await q.dataRanges(0, q.size)).toEqual([[0, 384 * 1024]]);
    } finally {
      await q.close();
    }
  });

  it('qcow2 -> raw of a 64 GiB image reads only its allocated clusters', async () => {
    const path = tmp.join('big.qcow2');
    mustRun('qemu-img', ['create', '-f', 'qcow2', path, '64G']);
    mustRun('qemu-io', ['-c', 'write -P 0x66 5G 128K', '-c', 'write -P 0x77 60G 64K', path]);
    const src = counting(await openQcow2File(path));
    const out = tmp.join('big.raw');
    const dst = await FileDevice.create(out, { size: src.size });
    try {
      expect(await convertToRaw(src, dst)).toBe(192 * 1024);
    } finally {
      await dst.close();
      await src.close();
    }
    expect(src.bytesRead).toBe(192 * 1024);
    expect(runTool('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', path, out]).code).toBe(0);
  });

  it.skipIf(!haveTools('filefrag'))('raw -> qcow2 of a sparse 32 GiB file reads only its extents', async () => {
    const raw = tmp.join('sparse.raw');
    const fd = openSync(raw, 'w');
    const a = pattern(200_000, 1);
    const b = pattern(MiB, 2);
    writeSync(fd, a, 0, a.length, 3 * GiB + 12345);
    writeSync(fd, b, 0, b.length, 31 * GiB);
    closeSync(fd);
    mustRun('truncate', ['-s', '32G', raw]);
    const src = counting(await FileDevice.open(raw));
    const ranges = await src.dataRanges(0, src.size);
    const mapped = ranges.reduce((n, [x, y]) => n + y - x, 0);
    expect(mapped).toBeLessThan(4 * MiB);
    const path = tmp.join('sparse.qcow2');
    const info = await convertToQcow2(src, await FileDevice.create(path, { size: 0, growable: true }));
    await src.close();
    // Each range rounded out to whole 64 KiB clusters, nothing more.
    expect(src.bytesRead).toBeGreaterThanOrEqual(mapped);
    expect(src.bytesRead).toBeLessThanOrEqual(mapped + ranges.length * 2 * 65536);
    expect(info.virtualSize).toBe(32 * GiB);
    expectQemuCheckClean(path);
    expect(runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, path]).code).toBe(0);
  });
});
