import { writeFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openQcow2File } from '../src/node.js';
import { expected, expectQemuCheckClean, pattern } from './helpers.js';

const MiB = 2 ** 20;

/** Reads both devices whole, in 1 MiB steps, and compares them. */
async function expectSameBytes(
  a: { size: number; read(o: number, b: Uint8Array): Promise<void> },
  b: { size: number; read(o: number, b: Uint8Array): Promise<void> },
) {
  expect(a.size).toBe(b.size);
  const x = new Uint8Array(MiB);
  const y = new Uint8Array(MiB);
  for (let off = 0; off < a.size; off += MiB) {
    const n = Math.min(MiB, a.size - off);
    await a.read(off, x.subarray(0, n));
    await b.read(off, y.subarray(0, n));
    if (Buffer.compare(x.subarray(0, n), y.subarray(0, n)) !== 0) {
      let i = 0;
      while (x[i] === y[i]) i++;
      throw new Error(`bytes differ at ${off + i}: ${x[i]} vs ${y[i]}`);
    }
  }
}

describe.skipIf(!haveTools('qemu-img', 'qemu-io'))('images QEMU makes read back like qemu-img convert', () => {
  const tmp = tempDir('qcow2-qemu-');
  afterAll(() => tmp.cleanup());

  /** Reads `path` with us and compares with `qemu-img convert -O raw`. */
  async function expectMatchesQemu(path: string) {
    const rawPath = `${path}.raw`;
    mustRun('qemu-img', ['convert', '-O', 'raw', path, rawPath]);
    const raw = await FileDevice.open(rawPath);
    const q = await openQcow2File(path);
    try {
      await expectSameBytes(q, raw);
    } finally {
      await q.close();
      await raw.close();
    }
  }

  /** Our writes into a QEMU image: qemu-img check stays clean and qemu reads what we wrote. */
  async function writeAndVerify(path: string) {
    const q = await openQcow2File(path, { writable: true });
    const cs = q.clusterSize;
    const writes = [
      { offset: 3 * cs + 100, data: pattern(2 * cs, 11) }, // partial clusters both ends
      { offset: q.size / 2 - 7000, data: pattern(MiB + 4096, 12) },
      { offset: 0, data: new Uint8Array(cs) }, // zero a whole (likely allocated) cluster
      { offset: q.size - 512, data: pattern(512, 13) },
    ];
    for (const w of writes) await q.write(w.offset, w.data);
    await q.close();
    expectQemuCheckClean(path);
    await expectMatchesQemu(path);
    const raw = await FileDevice.open(`${path}.raw`);
    for (const w of writes) {
      const got = new Uint8Array(w.data.length);
      await raw.read(w.offset, got);
      // Later writes may overlap earlier ones: compare with the model of all our writes.
      expect(Buffer.compare(got, expected(writes, w.offset, w.data.length))).toBe(0);
    }
    await raw.close();
  }

  function qemuImage(name: string, size: string, opts: string[], ios: string[]): string {
    const path = tmp.join(name);
    mustRun('qemu-img', ['create', '-f', 'qcow2', ...opts, path, size]);
    for (const cmd of ios) mustRun('qemu-io', ['-c', cmd, path]);
    return path;
  }

  const writes = [
    'write -P 0xab 0 64k',
    'write -P 0x11 100k 300k',
    'write -P 0x5a 1M 1536k',
    'write -z 1100k 64k', // v3: zero flag over allocated data
    'write -P 0xcd 7M 4k',
    'discard 1200k 128k',
  ];
  const variants: Array<[string, string, string[]]> = [
    ['default.qcow2', '8M', []],
    ['compat010.qcow2', '8M', ['-o', 'compat=0.10']],
    ['c4k.qcow2', '8M', ['-o', 'cluster_size=4096']],
    ['c2m.qcow2', '16M', ['-o', 'cluster_size=2M']],
    ['rc1.qcow2', '8M', ['-o', 'refcount_bits=1']],
    ['rc64.qcow2', '8M', ['-o', 'refcount_bits=64']],
  ];
  for (const [name, size, opts] of variants) {
    it(`${name}: reads, then our writes keep qemu-img check clean`, async () => {
      const path = qemuImage(name, size, opts, writes);
      await expectMatchesQemu(path);
      await writeAndVerify(path);
    });
  }

  it('compressed clusters (qemu-img convert -c) read back, and overwriting them stays clean', async () => {
    const src = tmp.join('mixed.raw');
    const data = new Uint8Array(6 * MiB);
    const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog\n'.repeat(30_000));
    data.set(text.subarray(0, 2 * MiB), 0);
    data.set(pattern(MiB, 21), 3 * MiB); // incompressible: stored uncompressed
    data.set(text.subarray(0, 700_000), 4 * MiB + 1000);
    writeFileSync(src, data);
    const path = tmp.join('compressed.qcow2');
    mustRun('qemu-img', ['convert', '-c', '-O', 'qcow2', src, path]);
    await expectMatchesQemu(path);
    await writeAndVerify(path);
  });

  it('follows a backing chain (qcow2 over qcow2 over raw), with relative names', async () => {
    const base = tmp.join('base.raw');
    writeFileSync(base, pattern(4 * MiB, 31));
    const mid = qemuImage('mid.qcow2', '4M', ['-b', 'base.raw', '-F', 'raw'], ['write -P 0x22 1M 100k']);
    const top = qemuImage(
      'top.qcow2',
      '6M',
      ['-b', 'mid.qcow2', '-F', 'qcow2'],
      ['write -P 0x33 1050k 8k', 'write -z 2M 64k', 'write -P 0x44 5M 4k'],
    );
    expect(mid).toBeTruthy();
    await expectMatchesQemu(top);
    await writeAndVerify(top);
  });
});
