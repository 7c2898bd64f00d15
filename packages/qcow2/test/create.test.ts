import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createQcow2File, openQcow2File } from '../src/node.js';
import { readHeader } from '../src/probe.js';
import { expectContents, expectQemuCheckClean, pattern, qemuRaw, type Write } from './helpers.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const KiB = 1024;

/** A mixed workload: sequential, random 4 KiB, boundary-crossing, zero and overwrite writes. */
function workload(size: number, clusterSize: number): Write[] {
  const l2Span = clusterSize * (clusterSize / 8);
  const writes: Write[] = [
    { offset: 0, data: pattern(3 * MiB + 123, 1) }, // sequential, ends mid-cluster
    // Crosses an L2 boundary where the disk has one, else a cluster boundary in the middle.
    { offset: (l2Span < size ? l2Span : size / 2) - 5000, data: pattern(clusterSize * 2 + 9000, 2) },
    { offset: 7 * clusterSize + 17, data: pattern(100, 3) }, // inside one cluster
    { offset: 1 * MiB, data: new Uint8Array(2 * clusterSize + 512) }, // zeros over data
    { offset: size - 4096, data: pattern(4096, 4) }, // the very end
  ];
  let seed = 99;
  for (let i = 0; i < 40; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const offset = (seed % Math.floor(Math.min(size, 64 * MiB) / 4096)) * 4096;
    writes.push({ offset, data: pattern(4096, seed) });
  }
  writes.push({ offset: 20 * clusterSize, data: pattern(clusterSize, 5) }); // then overwritten with zeros
  writes.push({ offset: 20 * clusterSize, data: new Uint8Array(clusterSize) });
  return writes;
}

describe.skipIf(!haveTools('qemu-img'))('images we create pass qemu-img check and convert back exactly', () => {
  const tmp = tempDir('qcow2-create-');
  afterAll(() => tmp.cleanup());

  const cases = [
    { name: 'v3, 64 KiB clusters, 6 GiB', size: 6 * GiB, clusterSize: 64 * KiB, version: 3 as const },
    { name: 'v3, 4 KiB clusters', size: 256 * MiB, clusterSize: 4 * KiB, version: 3 as const },
    {
      name: 'v3, 512 B clusters (refcount table grows; 4-table caches evict constantly)',
      size: 64 * MiB,
      clusterSize: 512,
      version: 3 as const,
      tinyCaches: true,
    },
    { name: 'v3, 2 MiB clusters', size: 5 * GiB, clusterSize: 2 * MiB, version: 3 as const },
    { name: 'v2 (compat=0.10)', size: GiB, clusterSize: 64 * KiB, version: 2 as const },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const path = tmp.join(`${c.clusterSize}-${c.version}.qcow2`);
      const writes = workload(c.size, c.clusterSize);
      // 10 MiB of 512 B clusters outgrow the first refcount table cluster (64 blocks × 256 clusters).
      if (c.clusterSize === 512) writes.push({ offset: 16 * MiB, data: pattern(10 * MiB, 10) });
      if (c.size > 4 * GiB) writes.push({ offset: 4 * GiB + 12345, data: pattern(300_000, 6) }); // past 4 GiB
      const caches = 'tinyCaches' in c ? { l2CacheBytes: 0, refcountCacheBytes: 0 } : {};
      const dev = await createQcow2File(path, {
        virtualSize: c.size,
        clusterSize: c.clusterSize,
        version: c.version,
        ...caches,
      });
      for (const w of writes) await dev.write(w.offset, w.data);
      await expectContents(dev, writes);
      await dev.close();
      if (c.clusterSize === 512) {
        const file = await FileDevice.open(path);
        const { header } = await readHeader(file);
        await file.close();
        expect(header.refcountTableClusters).toBeGreaterThan(1);
      }

      expectQemuCheckClean(path);
      const raw = await qemuRaw(path, tmp.join(`${c.clusterSize}-${c.version}.raw`));
      expect(raw.size).toBe(c.size);
      await expectContents(raw, writes);
      await raw.close();

      const again = await openQcow2File(path, caches);
      await expectContents(again, writes);
      await again.close();
    });
  }

  it('concurrent writes are serialised', async () => {
    const path = tmp.join('concurrent.qcow2');
    const dev = await createQcow2File(path, { virtualSize: 32 * MiB, clusterSize: 4096 });
    const writes: Write[] = Array.from({ length: 64 }, (_, i) => ({
      offset: ((i * 7919) % 8000) * 4096 + (i % 3) * 1000,
      data: pattern(10_000 + i, 200 + i),
    }));
    await Promise.all(writes.map((w) => dev.write(w.offset, w.data)));
    await expectContents(dev, writes, 0);
    await dev.close();
    expectQemuCheckClean(path);
  });

  it('reopens for writing and keeps qemu-img check clean', async () => {
    const path = tmp.join('reopen.qcow2');
    const writes: Write[] = [{ offset: 5 * MiB, data: pattern(3 * MiB, 7) }];
    const dev = await createQcow2File(path, { virtualSize: 64 * MiB });
    for (const w of writes) await dev.write(w.offset, w.data);
    await dev.close();
    const more: Write[] = [
      { offset: 6 * MiB + 100, data: pattern(70_000, 8) },
      { offset: 40 * MiB, data: pattern(MiB, 9) },
    ];
    writes.push(...more);
    const rw = await openQcow2File(path, { writable: true });
    for (const w of more) await rw.write(w.offset, w.data);
    await rw.zero(5 * MiB, 64 * KiB);
    writes.push({ offset: 5 * MiB, data: new Uint8Array(64 * KiB) });
    await rw.close();
    expectQemuCheckClean(path);
    const raw = await qemuRaw(path, tmp.join('reopen.raw'));
    await expectContents(raw, writes);
    await raw.close();
  });
});
