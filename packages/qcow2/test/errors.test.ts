import { FsError, MemoryDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { check, isQcow2, NotQcow2Error, Qcow2Device, Qcow2UnsupportedError } from '../src/index.js';
import { pattern } from './helpers.js';

/** A small valid image made by us in memory (a growable MemoryDevice, as in a browser). */
async function smallImage(): Promise<Uint8Array> {
  const mem = new MemoryDevice(0, { growable: true });
  const q = await Qcow2Device.create(mem, { virtualSize: 4 * 2 ** 20, clusterSize: 4096 });
  await q.write(4096 * 3 + 7, pattern(20_000, 5));
  await q.write(2 ** 20, pattern(8192, 6));
  await q.flush();
  const bytes = mem.bytes().slice();
  await q.close();
  return bytes;
}

/** Opens and reads the whole image, and runs check(): every failure must be a typed FsError. */
async function survive(bytes: Uint8Array): Promise<'ok' | string> {
  try {
    const q = await Qcow2Device.open(new MemoryDevice(bytes, { readOnly: true }));
    const buf = new Uint8Array(q.size);
    await q.read(0, buf);
    await check(new MemoryDevice(bytes, { readOnly: true }));
    return 'ok';
  } catch (err) {
    if (err instanceof FsError) return err.code;
    throw err;
  }
}

function withField(bytes: Uint8Array, offset: number, value: number, width: 4 | 8 = 4): Uint8Array {
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  if (width === 8) {
    dv.setUint32(offset, Math.floor(value / 2 ** 32));
    dv.setUint32(offset + 4, value % 2 ** 32);
  } else {
    dv.setUint32(offset, value);
  }
  return copy;
}

describe('bad input gives typed errors, never a hang or a giant allocation', () => {
  it('random bytes and empty input are not qcow2', async () => {
    expect(await isQcow2(new MemoryDevice(pattern(4096, 1)))).toBe(false);
    await expect(Qcow2Device.open(new MemoryDevice(pattern(65536, 2)))).rejects.toThrow(NotQcow2Error);
    await expect(Qcow2Device.open(new MemoryDevice(0))).rejects.toThrow(NotQcow2Error);
  });

  it('truncated images', async () => {
    const good = await smallImage();
    expect(await isQcow2(new MemoryDevice(good))).toBe(true);
    for (const n of [4, 50, 100, 300, 4096, 9000, good.length - 100]) {
      const code = await survive(good.slice(0, n));
      expect(['ok', 'CORRUPT', 'OUT_OF_RANGE']).toContain(code);
    }
    expect(await survive(good.slice(0, 50))).toBe('CORRUPT');
  });

  it('header fields out of range are refused before any allocation', async () => {
    const good = await smallImage();
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['cluster_bits 30', withField(good, 20, 30), /cluster_bits 30/],
      ['cluster_bits 8', withField(good, 20, 8), /cluster_bits 8/],
      ['l1_size 2^32-1', withField(good, 36, 0xffffffff), /l1_size/],
      ['l1_size too small', withField(good, 36, 0), /l1_size 0 is too small/],
      ['L1 past the end', withField(good, 40, 2 ** 40, 8), /L1 table .* past the end/],
      ['L1 unaligned', withField(good, 40, 4096 * 3 + 8, 8), /not cluster aligned/],
      ['refcount table huge', withField(good, 56, 0xffffff), /refcount_table_clusters/],
      ['refcount table past the end', withField(good, 48, 2 ** 45, 8), /refcount table .* past the end/],
      ['virtual size 2^60', withField(good, 24, 2 ** 52, 8), /l1_size/],
      ['refcount_order 9', withField(good, 96, 9), /refcount_order 9/],
      ['header_length 20', withField(good, 100, 20), /header_length 20/],
      ['nb_snapshots huge', withField(good, 60, 0xffffffff), /nb_snapshots/],
      ['backing name too long', withField(withField(good, 8, 200, 8), 16, 5000), /longer than 1023/],
    ];
    for (const [name, bytes, message] of cases) {
      const err = await Qcow2Device.open(new MemoryDevice(bytes)).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(FsError);
      expect((err as Error).message, name).toMatch(message);
    }
    const v4 = await Qcow2Device.open(new MemoryDevice(withField(good, 4, 4))).catch((e: unknown) => e);
    expect(v4).toBeInstanceOf(Qcow2UnsupportedError);
    const aes = await Qcow2Device.open(new MemoryDevice(withField(good, 32, 1))).catch((e: unknown) => e);
    expect((aes as Error).message).toMatch(/encrypted/);
  });

  it('create refuses impossible geometry', async () => {
    const mem = () => new MemoryDevice(0, { growable: true });
    await expect(Qcow2Device.create(mem(), { virtualSize: 2 ** 50, clusterSize: 512 })).rejects.toThrow(/L1 table/);
    await expect(Qcow2Device.create(mem(), { virtualSize: 2 ** 20, clusterSize: 1000 })).rejects.toThrow(
      /power of two/,
    );
    await expect(Qcow2Device.create(mem(), { virtualSize: 2 ** 20, version: 2, refcountOrder: 3 })).rejects.toThrow(
      /version 2/,
    );
    await expect(Qcow2Device.create(mem(), { virtualSize: -1 })).rejects.toThrow(FsError);
    await expect(Qcow2Device.create(mem(), { virtualSize: 2 ** 20, backingFile: 'x.img' })).rejects.toThrow(/backing/);
  });

  it('random corruption of metadata never escapes as an untyped error', async () => {
    const good = await smallImage();
    let x = 12345;
    const rand = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    // Header, refcount table and block, L1 and L2 tables all live in the first 8 clusters.
    for (let round = 0; round < 300; round++) {
      const bad = good.slice();
      // Half the flips hit the header's used bytes, the rest anywhere in the metadata clusters.
      for (let k = 0; k < 1 + rand(6); k++) bad[k % 2 ? rand(112) : rand(8 * 4096)] = rand(256);
      const code = await survive(bad);
      expect(typeof code).toBe('string');
    }
  });
});

describe.skipIf(!haveTools('qemu-img'))('zstd images', () => {
  const tmp = tempDir('qcow2-zstd-');
  afterAll(() => tmp.cleanup());

  it('reading a zstd-compressed cluster is refused with a clear error', async () => {
    const raw = tmp.join('text.raw');
    const bytes = new TextEncoder().encode('zstd '.repeat(300_000));
    await FileDevice.create(raw, { size: 0, growable: true }).then(async (f) => {
      await f.write(0, bytes);
      await f.close();
    });
    const path = tmp.join('zstd.qcow2');
    mustRun('qemu-img', ['convert', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', raw, path]);
    const q = await Qcow2Device.open(await FileDevice.open(path));
    expect((await q.info()).compressionType).toBe('zstd');
    await expect(q.read(0, new Uint8Array(4096))).rejects.toThrow(/zstd is not supported/);
    await q.close();
  });
});
