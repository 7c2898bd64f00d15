import { FsError, MemoryDevice } from '@fstool/blockdev';
import {
  CowDevice,
  caseSeed,
  FailAfterDevice,
  HangError,
  mutate,
  Rng,
  type Seed,
  Watchdog,
  WatchedDevice,
} from '@fstool/fuzz';
import { mbrEntry } from '@fstool/mbr';
import { describe, expect, it } from 'vitest';

describe('the harness itself', () => {
  it('CowDevice never touches its base and grows when asked', async () => {
    const base = new Uint8Array(10_000).fill(7);
    const dev = new CowDevice(base, { growable: true });
    await dev.write(4090, new Uint8Array(20).fill(1));
    await dev.write(12_000, new Uint8Array(4).fill(2));
    expect(base.every((b) => b === 7)).toBe(true);
    const out = new Uint8Array(30);
    await dev.read(4080, out);
    expect([...out.subarray(0, 10)]).toEqual(Array(10).fill(7));
    expect([...out.subarray(10, 30)]).toEqual(Array(20).fill(1));
    expect(dev.size).toBe(12_004);
    const tail = new Uint8Array(8);
    await dev.read(11_996, tail);
    expect([...tail]).toEqual([0, 0, 0, 0, 2, 2, 2, 2]);
    await expect(new CowDevice(base).write(9_999, new Uint8Array(2))).rejects.toBeInstanceOf(FsError);
  });

  it('mutations are deterministic per (seed, case) and stay inside the image', () => {
    const bytes = new Uint8Array(4096).fill(0x55);
    const seed: Seed = { name: 't', bytes, hot: [[0, 1024]], sites: [{ struct: mbrEntry, offset: 446 }] };
    const run = (i: number) => {
      const dev = new CowDevice(bytes);
      const what = mutate(dev, seed, new Rng(caseSeed(1, i)));
      return { what, image: dev.snapshot() };
    };
    for (let i = 0; i < 50; i++) {
      const a = run(i);
      expect(run(i)).toEqual(a);
      expect(a.image.length).toBe(4096);
    }
    expect(bytes.every((b) => b === 0x55)).toBe(true);
  });

  it('a device access past the deadline throws HangError', async () => {
    const dog = new Watchdog(20);
    const dev = new WatchedDevice(new MemoryDevice(512), dog);
    const buf = new Uint8Array(16);
    await expect(
      (async () => {
        for (;;) await dev.read(0, buf);
      })(),
    ).rejects.toBeInstanceOf(HangError);
    expect(dog.expired).toBe(true);
  });

  it('FailAfterDevice passes N writes, then fails every write with an FsError', async () => {
    const mem = new MemoryDevice(1024);
    const dev = new FailAfterDevice(mem, 2);
    await dev.write(0, Uint8Array.of(1));
    await dev.zero(1, 1);
    await expect(dev.write(2, Uint8Array.of(3))).rejects.toBeInstanceOf(FsError);
    await expect(dev.write(3, Uint8Array.of(4))).rejects.toMatchObject({ code: 'EIO' });
    expect(mem.bytes()[2]).toBe(0);
    expect(dev.writes).toBe(2);
  });
});
