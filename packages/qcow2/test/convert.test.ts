import { writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { MemoryDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { convertToQcow2, convertToRaw, Qcow2Device } from '../src/index.js';
import { convertFile, DeflatePool, formatFromPath, openImageFile } from '../src/node.js';
import { expectQemuCheckClean, fileBytes, pattern } from './helpers.js';

const MiB = 2 ** 20;

/** Compressible text, random data, zero runs, and clusters whose matches reach back 8 KiB. */
function mixed(size: number): Uint8Array {
  const data = new Uint8Array(size);
  const text = new TextEncoder().encode('all work and no play makes jack a dull boy. '.repeat(50_000));
  data.set(text.subarray(0, Math.min(text.length, size / 4)), 0);
  data.set(pattern(size / 8, 41), size / 2);
  const block = pattern(8192, 42); // incompressible alone, but repeated inside each 64 KiB cluster
  for (let at = (size * 3) / 4; at + 8192 <= size - 65536; at += 8192) data.set(block, at);
  return data;
}

describe.skipIf(!haveTools('qemu-img'))('conversion', () => {
  const tmp = tempDir('qcow2-convert-');
  afterAll(() => tmp.cleanup());

  for (const compress of [false, true]) {
    it(`raw -> qcow2${compress ? ' (compressed)' : ''}: qemu-img check clean, convert -O raw equal`, async () => {
      const data = mixed(8 * MiB);
      const path = tmp.join(`conv-${compress}.qcow2`);
      const out = await FileDevice.create(path, { size: 0, growable: true });
      const info = await convertToQcow2(new MemoryDevice(data), out, { compress });
      expect(info.virtualSize).toBe(data.length);
      expectQemuCheckClean(path);
      mustRun('qemu-img', ['convert', '-O', 'raw', path, `${path}.raw`]);
      expect(Buffer.compare(fileBytes(`${path}.raw`), data)).toBe(0);
      const text = runTool('qemu-img', ['check', path]).stdout;
      if (compress) {
        expect(text).not.toMatch(/0\.00% compressed/);
        expect(info.allocatedBytes).toBeLessThan(data.length / 2);
      }
    });
  }

  it('compressed convert of a file deflates on worker threads: qemu-img reads it back, the bytes repeat', async () => {
    const raw = tmp.join('pool.raw');
    writeFileSync(raw, mixed(8 * MiB));
    const outs = [tmp.join('pool-a.qcow2'), tmp.join('pool-b.qcow2')];
    for (const out of outs) {
      const r = await convertFile(raw, out, { compress: true });
      expect(r.info?.allocatedBytes).toBeLessThan(5 * MiB);
      expectQemuCheckClean(out);
      expect(runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, out]).code).toBe(0);
      expect(runTool('qemu-img', ['check', out]).stdout).not.toMatch(/0\.00% compressed/);
    }
    expect(Buffer.compare(fileBytes(outs[0] as string), fileBytes(outs[1] as string))).toBe(0);
  });

  it('a pool splits a batch over its workers and keeps the order', async () => {
    const pool = new DeflatePool(3);
    try {
      // More clusters than one job holds, so several workers share the batch.
      const clusters = Array.from({ length: 37 }, (_, i) => new Uint8Array(65536).fill(i));
      const packed = await pool.deflate(clusters);
      expect(packed).toHaveLength(37);
      packed.forEach((p, i) => {
        expect(p.length).toBeLessThan(200);
        expect(inflateRawSync(p)).toEqual(Buffer.from(clusters[i] as Uint8Array));
      });
    } finally {
      await pool.close();
    }
  });

  it('compressed output is the same bytes with one worker thread or several', async () => {
    const data = mixed(6 * MiB);
    const images: Uint8Array[] = [];
    for (const threads of [1, 3]) {
      const pool = new DeflatePool(threads);
      try {
        const path = tmp.join(`threads-${threads}.qcow2`);
        const out = await FileDevice.create(path, { size: 0, growable: true });
        await convertToQcow2(new MemoryDevice(data), out, { compress: true, deflater: pool.deflate });
        expectQemuCheckClean(path);
        expect(runTool('qemu-img', ['check', path]).stdout).not.toMatch(/0\.00% compressed/);
        images.push(fileBytes(path));
      } finally {
        await pool.close();
      }
    }
    expect(Buffer.compare(images[0] as Uint8Array, images[1] as Uint8Array)).toBe(0);
  });

  it('packs compressed clusters only as far as narrow refcounts allow (1- and 4-bit)', async () => {
    const data = new TextEncoder().encode('x'.repeat(4 * MiB)); // each cluster deflates to a few bytes
    for (const refcountOrder of [0, 2]) {
      const path = tmp.join(`narrow-${refcountOrder}.qcow2`);
      const out = await FileDevice.create(path, { size: 0, growable: true });
      await convertToQcow2(new MemoryDevice(data), out, { compress: true, refcountOrder });
      expectQemuCheckClean(path);
      mustRun('qemu-img', ['convert', '-O', 'raw', path, `${path}.raw`]);
      expect(Buffer.compare(fileBytes(`${path}.raw`), data)).toBe(0);
    }
  });

  it('writing into a compressed image: partial overwrite and zeroing of compressed clusters', async () => {
    const data = mixed(4 * MiB);
    const mem = new MemoryDevice(0, { growable: true });
    const q = await Qcow2Device.create(mem, { virtualSize: data.length, compress: true });
    await q.write(0, data);
    await q.write(1000, pattern(5000, 43)); // inside a compressed cluster
    data.set(pattern(5000, 43), 1000);
    await q.zero(65536, 65536); // a whole compressed cluster
    data.fill(0, 65536, 131072);
    await q.flush();
    const path = tmp.join('mem.qcow2');
    writeFileSync(path, mem.bytes());
    expectQemuCheckClean(path);
    mustRun('qemu-img', ['convert', '-O', 'raw', path, `${path}.raw`]);
    expect(Buffer.compare(fileBytes(`${path}.raw`), data)).toBe(0);
    await q.close();
  });

  it('convertFile: qcow2 -> raw keeps holes, raw -> qcow2 by extension, formats are probed', async () => {
    const data = mixed(4 * MiB);
    const raw = tmp.join('in.img');
    writeFileSync(raw, data);
    expect(formatFromPath('x.QCOW2')).toBe('qcow2');
    expect(formatFromPath('x.img')).toBe('raw');
    const q = await convertFile(raw, tmp.join('out.qcow2'), { clusterSize: 4096 });
    expect(q.format).toBe('qcow2');
    expect(q.info?.clusterSize).toBe(4096);
    expectQemuCheckClean(tmp.join('out.qcow2'));
    const back = await convertFile(tmp.join('out.qcow2'), tmp.join('back.raw'));
    expect(back.format).toBe('raw');
    expect(back.bytesWritten).toBeLessThan(data.length);
    expect(Buffer.compare(fileBytes(tmp.join('back.raw')), data)).toBe(0);
    const opened = await openImageFile(tmp.join('out.qcow2'));
    expect(opened.format).toBe('qcow2');
    await opened.device.close();

    const mem = new MemoryDevice(data.length);
    const src = (await openImageFile(tmp.join('out.qcow2'))).device;
    await convertToRaw(src, mem);
    await src.close();
    expect(Buffer.compare(mem.bytes(), data)).toBe(0);
  });
});
