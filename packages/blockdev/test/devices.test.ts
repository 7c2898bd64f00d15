import { describe, expect, it, vi } from 'vitest';
import {
  type BlockDevice,
  ClosedError,
  copy,
  MemoryDevice,
  OutOfRangeError,
  ReadOnlyError,
  SliceDevice,
} from '../src/index.js';
import { dataRuns } from '../src/zero.js';

describe('MemoryDevice', () => {
  it('reads back what was written, exactly', async () => {
    const dev = new MemoryDevice(1024);
    await dev.write(100, new Uint8Array([1, 2, 3]));
    const out = new Uint8Array(5);
    await dev.read(99, out);
    expect([...out]).toEqual([0, 1, 2, 3, 0]);
  });

  it('rejects reads and writes past the end with an error naming offset, length and size', async () => {
    const dev = new MemoryDevice(16);
    await expect(dev.read(10, new Uint8Array(8))).rejects.toThrow(OutOfRangeError);
    await expect(dev.read(10, new Uint8Array(8))).rejects.toThrow(
      '8 bytes at offset 10 is outside the device of 16 bytes',
    );
    await expect(dev.write(-1, new Uint8Array(1))).rejects.toThrow(OutOfRangeError);
    await expect(dev.write(16, new Uint8Array(1))).rejects.toThrow(OutOfRangeError);
  });

  it('grows when growable', async () => {
    const dev = new MemoryDevice(0, { growable: true });
    await dev.write(10, new Uint8Array([7]));
    expect(dev.size).toBe(11);
    expect(dev.bytes()[10]).toBe(7);
  });

  it('refuses writes when read-only and any use after close', async () => {
    const ro = new MemoryDevice(8, { readOnly: true });
    await expect(ro.write(0, new Uint8Array(1))).rejects.toThrow(ReadOnlyError);
    await expect(ro.zero(0, 1)).rejects.toThrow(ReadOnlyError);
    await ro.close();
    await expect(ro.read(0, new Uint8Array(1))).rejects.toThrow(ClosedError);
  });
});

describe('SliceDevice', () => {
  it('maps offsets, nests and checks bounds against its own window', async () => {
    const disk = new MemoryDevice(4096);
    const part = new SliceDevice(disk, 1024, 2048);
    const inner = new SliceDevice(part, 512, 512);
    await inner.write(0, new Uint8Array([0xaa]));
    const b = new Uint8Array(1);
    await disk.read(1024 + 512, b);
    expect(b[0]).toBe(0xaa);
    await expect(inner.write(512, new Uint8Array(1))).rejects.toThrow(OutOfRangeError);
    await expect(part.read(2040, new Uint8Array(16))).rejects.toThrow(OutOfRangeError);
    expect(() => new SliceDevice(disk, 4000, 200)).toThrow(OutOfRangeError);
  });

  it('is read-only over a read-only parent', async () => {
    const disk = new MemoryDevice(1024, { readOnly: true });
    await expect(new SliceDevice(disk, 0, 512).write(0, new Uint8Array(1))).rejects.toThrow(ReadOnlyError);
  });
});

describe('copy and isZero', () => {
  // Under Node isZero compares natively; a browser has no Buffer and scans words.
  it.each(['node', 'browser'])('isZero (%s) finds a single set byte anywhere, aligned or not', async (host) => {
    vi.resetModules();
    if (host === 'browser') vi.stubGlobal('Buffer', undefined);
    const { isZero: zero, dataRuns: runs } = await import('../src/zero.js');
    vi.unstubAllGlobals();
    const buf = new Uint8Array(200_000);
    expect(zero(buf)).toBe(true);
    for (const at of [0, 3, 4097, 9999, 70_000, 199_999]) {
      buf[at] = 1;
      expect(zero(buf)).toBe(false);
      expect(zero(buf.subarray(1))).toBe(at === 0);
      expect(runs(buf, 4096).flat()).toContain(Math.floor(at / 4096) * 4096);
      buf[at] = 0;
    }
  });

  it('dataRuns gives the runs of non-zero blocks, the last block short or the view unaligned', () => {
    const buf = new Uint8Array(10_001);
    expect(dataRuns(buf, 1024)).toEqual([]);
    for (const at of [0, 1023, 1024, 5000, 10_000]) buf[at] = 1;
    expect(dataRuns(buf, 1024)).toEqual([
      [0, 2048],
      [4096, 5120],
      [9216, 10_001],
    ]);
    // Unaligned: blocks count from the view's start.
    expect(dataRuns(buf.subarray(1), 1024)).toEqual([
      [0, 1024],
      [4096, 5120],
      [9216, 10_000],
    ]);
    expect(dataRuns(buf, 4)).toEqual([
      [0, 4],
      [1020, 1028],
      [5000, 5004],
      [10_000, 10_001],
    ]);
  });

  it('skips zero runs and writes data runs', async () => {
    const src = new MemoryDevice(64 * 1024);
    await src.write(4096, new Uint8Array(4096).fill(1));
    await src.write(40_000, new Uint8Array(10).fill(2));
    const writes: Array<[number, number]> = [];
    const dst = new MemoryDevice(64 * 1024);
    const spy = Object.assign(Object.create(dst), {
      write: (o: number, d: Uint8Array) => {
        writes.push([o, d.length]);
        return dst.write(o, d);
      },
    });
    const written = await copy(src, spy, { skipZeros: true, chunkSize: 16 * 1024 });
    expect(writes).toEqual([
      [4096, 4096],
      [36_864, 4096],
    ]);
    expect(written).toBe(8192);
    expect(dst.bytes()).toEqual(src.bytes());
  });

  it('copies everything without skipZeros, reporting progress', async () => {
    const src = new MemoryDevice(new Uint8Array(10_000).map((_, i) => i & 0xff));
    const dst = new MemoryDevice(10_000);
    const seen: number[] = [];
    await copy(src, dst, { chunkSize: 4096, onProgress: (d) => seen.push(d) });
    expect(dst.bytes()).toEqual(src.bytes());
    expect(seen).toEqual([4096, 8192, 10_000]);
  });

  it('reads only the data ranges a source names, bridging small holes; the gaps are zeroed, or skipped with skipZeros', async () => {
    const bytes = new Uint8Array(1024 * 1024);
    // Bytes 5000..9000, 40960..45056 and 600000..604000 hold data; the rest reads zeros, as the source says.
    for (const [a, b] of [
      [5000, 9000],
      [40_960, 45_056],
      [600_000, 604_000],
    ] as const)
      bytes.fill(7, a, b);
    const mem = new MemoryDevice(bytes);
    const reads: Array<[number, number]> = [];
    const src: BlockDevice = {
      size: mem.size,
      readOnly: true,
      read: (o, into) => {
        reads.push([o, into.length]);
        return mem.read(o, into);
      },
      write: () => Promise.reject(new Error('read-only')),
      zero: () => Promise.reject(new Error('read-only')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      dataRanges: async () => [
        [5000, 9000],
        [40_960, 45_056],
        [600_000, 604_000],
      ],
    };
    for (const skipZeros of [false, true]) {
      reads.length = 0;
      const dst = new MemoryDevice(new Uint8Array(1024 * 1024).fill(9));
      await copy(src, dst, { skipZeros, chunkSize: 64 * 1024 });
      // Rounded out to whole 4 KiB blocks; the 28 KiB hole between the first two is read through.
      expect(reads).toEqual([
        [4096, 40_960],
        [598_016, 8192],
      ]);
      const out = dst.bytes();
      for (const at of [5000, 8999, 41_000, 600_000, 603_999]) expect(out[at]).toBe(7);
      for (const at of [0, 4095, 12_288, 40_959, 45_056, 65_535, 606_208, 1024 * 1024 - 1]) {
        expect(out[at]).toBe(skipZeros ? 9 : 0);
      }
    }
  });

  it('reads the next chunk while the previous one is written, and a failed write fails the copy', async () => {
    const src = new MemoryDevice(new Uint8Array(64 * 1024).fill(3));
    const events: string[] = [];
    const mem = new MemoryDevice(new Uint8Array(64 * 1024));
    const slowDst = (failAt?: number): BlockDevice => ({
      size: mem.size,
      readOnly: false,
      read: (o, into) => mem.read(o, into),
      write: async (o, data) => {
        events.push(`write ${o}`);
        await new Promise((r) => setTimeout(r, 5));
        if (o === failAt) throw new Error(`disk full at ${o}`);
        await mem.write(o, data);
        events.push(`wrote ${o}`);
      },
      zero: (o, n) => mem.zero(o, n),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    });
    const reading: BlockDevice = {
      size: src.size,
      readOnly: true,
      read: (o, into) => {
        events.push(`read ${o}`);
        return src.read(o, into);
      },
      write: () => Promise.reject(new Error('read-only')),
      zero: () => Promise.reject(new Error('read-only')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    await copy(reading, slowDst(), { chunkSize: 16 * 1024 });
    expect(mem.bytes()).toEqual(src.bytes());
    // The read of each chunk starts before the write of the one before it ends.
    expect(events.indexOf('read 16384')).toBeLessThan(events.indexOf('wrote 0'));
    await expect(copy(reading, slowDst(32 * 1024), { chunkSize: 16 * 1024 })).rejects.toThrow('disk full at 32768');
  });
});
