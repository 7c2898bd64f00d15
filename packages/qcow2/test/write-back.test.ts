/**
 * A new (write-back) image lets data writes land while later requests are planned: several are
 * in flight at once, yet the image's bytes never depend on the order they land in, reads and
 * overwrites see the latest data, and a write that never landed fails `flush()` and `close()`.
 */
import { type BlockDevice, MemoryDevice } from '@fstool/blockdev';
import { describe, expect, it } from 'vitest';
import { Qcow2Device } from '../src/index.js';
import { pattern } from './helpers.js';

const KiB = 1024;
const MiB = 2 ** 20;

/**
 * A growable memory container whose large (data) writes take `delay(offset, nth)` ms, the `failNth`-th
 * of them failing; counts them in flight.
 */
function slowContainer(delay: (offset: number, nth: number) => number, failNth?: number) {
  const mem = new MemoryDevice(0, { growable: true });
  const stats = { inFlight: 0, most: 0, issued: 0 };
  const dev: BlockDevice & { resize(size: number): Promise<void> } = {
    get size() {
      return mem.size;
    },
    readOnly: false,
    read: (o, into) => mem.read(o, into),
    write: async (o, data) => {
      if (data.length < 128 * KiB) return mem.write(o, data);
      const nth = ++stats.issued;
      stats.inFlight++;
      stats.most = Math.max(stats.most, stats.inFlight);
      await new Promise((r) => setTimeout(r, delay(o, nth)));
      stats.inFlight--;
      if (nth === failNth) throw new Error(`injected failure at ${o}`);
      return mem.write(o, data);
    },
    zero: (o, n) => mem.zero(o, n),
    resize: (n) => mem.resize(n),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { dev, mem, stats };
}

const chunks = Array.from({ length: 8 }, (_, i) => ({ at: i * 3 * MiB, data: pattern(512 * KiB, i + 1) }));

describe('write-back data writes', () => {
  it('keep several in flight, and the image is the same bytes whatever order they land in', async () => {
    const images: Uint8Array[] = [];
    for (const delay of [() => 0, (o: number) => 40 - (o % 37), (o: number) => (o * 7) % 23]) {
      const { dev, mem, stats } = slowContainer(delay);
      const q = await Qcow2Device.create(dev, { virtualSize: 32 * MiB });
      await Promise.all(chunks.map((c) => q.write(c.at, c.data)));
      if (delay.length > 0) expect(stats.most).toBeGreaterThan(1);
      for (const c of chunks) {
        const back = new Uint8Array(c.data.length);
        await q.read(c.at, back);
        expect(Buffer.compare(back, c.data)).toBe(0);
      }
      await q.close();
      images.push(mem.bytes().slice());
    }
    expect(Buffer.compare(images[1] as Uint8Array, images[0] as Uint8Array)).toBe(0);
    expect(Buffer.compare(images[2] as Uint8Array, images[0] as Uint8Array)).toBe(0);
  });

  it('an overwrite, a zeroing and a read issued while data is landing see the latest bytes', async () => {
    // The first data write lands last.
    const { dev } = slowContainer((_, nth) => (nth === 1 ? 40 : 1));
    const q = await Qcow2Device.create(dev, { virtualSize: 8 * MiB });
    const first = pattern(MiB, 7);
    const second = pattern(256 * KiB, 8);
    const writes = [q.write(0, first), q.write(0, second), q.zero(512 * KiB, 128 * KiB)];
    const back = new Uint8Array(MiB);
    const read = q.read(0, back);
    await Promise.all([...writes, read]);
    const want = first.slice();
    want.set(second, 0);
    want.fill(0, 512 * KiB, 640 * KiB);
    expect(Buffer.compare(back, want)).toBe(0);
    await q.close();
  });

  it('a data write that fails fails the write, then flush() and close(): the image is never sealed', async () => {
    const { dev, mem } = slowContainer(() => 5, 3);
    const q = await Qcow2Device.create(dev, { virtualSize: 32 * MiB });
    const results = await Promise.allSettled(chunks.map((c) => q.write(c.at, c.data)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const before = mem.bytes().slice();
    await expect(q.flush()).rejects.toThrow('injected failure');
    await expect(q.close()).rejects.toThrow('injected failure');
    // No metadata went out after the failure: nothing maps the clusters that never got their data.
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
  });
});
